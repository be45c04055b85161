"""Insider probe (issue 13): hunt a live CCMS-Graph server for leaks across compartments, as a hostile insider would.

Usage (against a server on this machine only; `scripts/run_probe.sh` starts one of its own):

    .venv/bin/python scripts/insider_probe.py http://127.0.0.1:8015 [--max-requests 4000] [--seed 13]
        [--json-out probe.json] [--max-seconds 1800] [--no-plant] [--selectors-public] [--verbose]

Exit code 0 when no leak was found, 1 when one was, 2 when the probe itself could not run.

How it works
------------

1. **Discovery, as the owners.** Every sandbox user (README "Sandbox users"; password `CCMS_SANDBOX_PASSWORD`
   or `sandbox-pass-2026`) signs in through the JSON API and lists what is theirs: their cases (each read
   in full: subjects, documents, grants, disclosures, and its link chart for selectors and links), their
   documents' attachments, comments, deconfliction hits, the approval queue, notifications, sessions,
   tokens, saved queries, call history and their office's recent records. A record some view names but
   no case lists (made outside a case, or by an earlier run) is read by the user who saw it named. The
   auditor re-reads every case, so a record's complete list of cases is known. Before that, unless
   `--no-plant`, the owner of each restricted case plants canaries through the API: a person (and a
   near-duplicate, raising a hit), a draft Report of Investigation, an attachment, a comment, call
   records between two fresh numbers, a grant request, a close request, a saved draft query, a draft
   in one of their open cases; a supervisor's view leaves a notification in the owner's inbox.
2. **A reference model** (`Model`) decides, for every discovered item and every attacker, whether the
   attacker may read it and whether its very existence is protected ("hidden": a restricted case and
   what lies only in restricted cases, a Report of Investigation in draft, anything private to a user).
   It is `policy/rules.py` written out again over the discovered facts, not asked of the server.
3. **Replay, as the attackers.** Four kinds: another office's agent, another office's analyst, the
   administrator, and a same-office user outside a restricted case's team (for each restricted case, a
   same-office agent not on the team and not a supervisor above it; an analyst when there is no such
   agent). Every operation of `/api/v1/openapi.json` is replayed, round after round, with the discovered
   ids the attacker may not read substituted into its path, query and body (bodies that would be valid
   if the caller were allowed, chosen so that a wrongly accepted request changes as little as possible;
   what an administrator may legitimately do to others' accounts and queries is aimed at names nobody
   has). An operation the probe has no recipe for still runs, with a body built from its schema. Then
   analyst-authored queries, saved and run (JSON and CSV): error tricks (`date(n.given_name + 'x')` on
   a hidden record), label-less tricks (`MATCH (u) WHERE u.username = ...` for password hashes, session
   ids and token hashes), selector tricks (SSNs, phones and e-mails of hidden persons) and boolean tricks
   (a hidden person's family name guessed right and wrong, by uid and by count; a hidden SSN).
4. **Leak detection.**
   * *secret-<kind>*: an attacker's response (body, headers, error message, CSV) holds a secret of an item
     the attacker may not read: its uid, case number, names, identifier values, selectors (phones,
     e-mails, addresses; `--selectors-public` makes them values anyone may read), planted content, or a
     credential (a password hash, another user's session id or its stored hash, a token or its hash).
     Secrets are exact strings of at least 6 characters, matched case-insensitively. A string that also
     belongs to something the attacker may read is no secret (nor a one-word name the attacker reads as
     a word elsewhere); nor is an occurrence inside an allowed string, or one made only of words the
     attacker supplied: what it sent in that request, what attackers of its offices stored with a
     successful write (a copied record is then their own), every user's and office's contact data (the
     deconfliction "whom to contact" block, see `logic/identity/deconfliction.py`), and the uid of a
     locked placeholder whose record is unreadable but not hidden (existence not protected, see
     `policy/scopes.py`).
   * *hidden-vs-missing*: for a hidden target the same request is sent again with a random id of the
     same shape that never existed; status, content type and body (ids, timestamps and fresh uids
     normalised) must be the same.
   * *boolean-oracle*: a right and a wrong guess about a hidden record answer differently.
   * *server-error*: any 5xx.
5. **Report.** A table of requests per attacker kind and operation group, leaks per class, and each
   distinct leak with the request that produced it (`--json-out` writes everything).

Bounds: `--max-requests` attacker requests and `--max-discovery` discovery requests, `--max-seconds` in all;
the base URL must resolve to a loopback address, redirects are never followed and proxies are ignored. A
session something ended mid-run (an attacker's "sign out everywhere") is signed in again and counted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import json
import os
import random
import re
import socket
import string
import sys
import time
import uuid
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

API = "/api/v1"
DEFAULT_PASSWORD = "sandbox-pass-2026"
#: Secrets shorter than this are too common to mean anything (README of issue 13: "length >= 6").
MIN_SECRET = 6

#: The sandbox's users (README, "Sandbox users"): username -> (role, office, supervisor's username).
SANDBOX_USERS: dict[str, tuple[str, str, str | None]] = {
    "admin": ("admin", "HQ", None),
    "auditor": ("auditor", "HQ-IA", None),
    "sac_miami": ("supervisor", "MIA", None),
    "sup_miami": ("supervisor", "MIA", "sac_miami"),
    "agent_garcia": ("agent", "MIA", "sup_miami"),
    "agent_chen": ("agent", "MIA", "sup_miami"),
    "agent_port": ("agent", "MIA-PEV", "sup_miami"),
    "analyst_miami": ("analyst", "MIA", "sup_miami"),
    "sup_nyc": ("supervisor", "NYC", None),
    "agent_obrien": ("agent", "NYC", "sup_nyc"),
    "agent_patel": ("agent", "NYC-CYB", "sup_nyc"),
    "analyst_nyc": ("analyst", "NYC", "sup_nyc"),
    "sup_houston": ("supervisor", "HOU", None),
    "agent_nguyen": ("agent", "HOU", "sup_houston"),
    "agent_jones": ("agent", "HOU-POH", "sup_houston"),
    "analyst_houston": ("analyst", "HOU", "sup_houston"),
}

KINDS = ("other_office_agent", "other_office_analyst", "admin", "same_office_outsider")
#: Preferred users for the foreign attacker kinds (any agent/analyst of another office would do).
PREFERRED = {"other_office_agent": ("agent_obrien", "agent_garcia"),
             "other_office_analyst": ("analyst_houston", "analyst_nyc")}

ENTITY_SLUGS = {"Person": "persons", "Business": "businesses", "Vehicle": "vehicles", "Vessel": "vessels",
                "Aircraft": "aircraft", "Thing": "things"}
DOCUMENT_SLUGS = ("reports-of-investigation", "arrest-reports", "seizure-reports",
                  "electronic-surveillance-reports", "evidence-items")
DRAFT_STATUSES = ("draft", "submitted", "returned")

#: Which record properties are secrets, and of what kind (vocabulary.py declares them; kept here so the
#: probe needs nothing but HTTP). Things' categories and descriptions are shared vocabulary, not secrets.
NAME_FIELDS = ("given_name", "middle_name", "family_name", "aliases", "name", "dbas")
IDENTIFIER_FIELDS = ("ssn", "a_number", "passport", "drivers_license", "fbi_number", "ein", "registration_number",
                     "vin", "plate", "hull_id", "imo", "mmsi", "documentation_number", "tail_number",
                     "serial_number", "icao24", "serial", "imei", "source_ref")
CAPTIONED = ("Person", "Business", "Vehicle", "Vessel", "Aircraft")
SELECTOR_LINKS = ("USES_PHONE", "USES_EMAIL", "USES_HANDLE", "RESIDES_AT", "LOCATED_AT")

#: Fields a copy of a stored record may carry into a create, import or query-before-create body.
COPY_FIELDS = {
    "Person": ("given_name", "middle_name", "family_name", "aliases", "dob", "sex", "ssn", "a_number", "passport",
               "drivers_license", "fbi_number"),
    "Business": ("name", "ein", "registration_number", "jurisdiction"),
    "Vehicle": ("vin", "plate", "plate_state", "make", "model", "year"),
    "Vessel": ("name", "imo", "mmsi", "hull_id", "flag"),
    "Aircraft": ("tail_number", "serial_number", "make", "model", "icao24"),
    "Thing": ("category", "serial", "imei", "description"),
}
MINIMAL = {
    "Person": {"given_name": "Probe", "family_name": "Insiderson"},
    "Business": {"name": "Probe Insider Trading LLC"},
    "Vehicle": {"plate": "PRB4821", "plate_state": "FL", "make": "Ford"},
    "Vessel": {"name": "Probe Runner"},
    "Aircraft": {"tail_number": "N48PRB"},
    "Thing": {"category": "other", "description": "probe item", "serial": "PRBSER4821"},
}
PATCH = {"Person": {"middle_name": "Q"}, "Business": {"jurisdiction": "FL"}, "Vehicle": {"colour": "green"},
         "Vessel": {"flag": "US"}, "Aircraft": {"make": "Piper"}, "Thing": {"description": "probe item"},
         "Document": {"title": "Renamed by probe"}, "Case": {"title": "Renamed by probe"}}
DISCLOSURE = {"disclosed_on": "2024-01-02", "nature": "Records", "description": "Subject file",
              "purpose": "Joint investigation", "recipient_agency": "Partner agency",
              "recipient_address": "1 Main Street, Anytown"}
CDR_CSV = (b"originating_number,terminating_number,start_time,duration\n"
           b"+13055550101,+13055550102,2024-01-02T10:00:00,60\n")
SUBSCRIBER_CSV = b"number,subscriber_name\n+13055550101,Ann Other\n"

HEX32 = re.compile(r"\b[0-9a-f]{32}\b")
UUID_RE = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
#: Strings the probe itself writes as an attacker contain one of these (earlier runs' records hold them too).
PROBE_MARKERS = ("probe", "insider", "prb")
PASSWORD_HASH = re.compile(r"\$(?:argon2(?:id|i|d)|2[aby]|scrypt|pbkdf2)[$:]", re.I)


class ProbeError(Exception):
    """The probe cannot run (server unreachable, sign-in refused, a non-loopback address)."""


class BudgetExhausted(Exception):
    """The request or time budget is spent; the probe stops sending and reports what it has."""


# ---------------------------------------------------------------------------------------------
# Transport: loopback only, counted, every exchange kept for the report
# ---------------------------------------------------------------------------------------------

def require_loopback(base_url: str) -> str:
    """The base URL without a trailing slash, if its host resolves only to loopback addresses."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProbeError(f"not an http(s) URL: {base_url!r}")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise ProbeError(f"cannot resolve {parts.hostname!r}: {exc}") from None
    addresses = {info[4][0] for info in infos}
    bad = sorted(a for a in addresses if not ipaddress.ip_address(a.split("%")[0]).is_loopback)
    if not addresses or bad:
        raise ProbeError(f"{parts.hostname} resolves to {', '.join(bad) or 'nothing'}: the probe runs against "
                         "this machine's loopback interface only")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass
class Exchange:
    """One request and its answer."""

    n: int
    phase: str
    persona: str
    kind: str
    username: str
    op: str
    group: str
    method: str
    path: str
    params: dict | None
    body: object
    files: list | None
    status: int
    ctype: str
    headers: dict
    text: str
    seconds: float

    def data(self):
        if "json" not in self.ctype:
            return None
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def request_line(self) -> str:
        query = ""
        if self.params:
            query = "?" + "&".join(f"{k}={v}" for k, v in self.params.items())
        out = f"{self.method} {self.path}{query}"
        if self.body is not None:
            out += " body=" + _short(json.dumps(self.body, sort_keys=True, default=str), 300)
        if self.files:
            out += " files=" + ",".join(str(f) for f in self.files)
        return out


def _short(text: str, limit: int) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "..."


class RequestsBackend:
    """A live server over HTTP: one requests.Session per signed-in client (cookies kept), no proxies."""

    def __init__(self, base: str):
        self.base = base

    def session(self):
        s = requests.Session()
        s.trust_env = False  # never a proxy from the environment: loopback means loopback
        return s

    def send(self, sess, method: str, path: str, *, params=None, json_body=None, files=None, headers=None):
        kwargs: dict = {"params": params, "headers": headers or {}, "timeout": 120, "allow_redirects": False}
        if files:
            kwargs["files"] = {name: (fname, data, ctype) for name, (fname, data, ctype) in files.items()}
        elif json_body is not None:
            kwargs["json"] = json_body
        r = sess.request(method, self.base + path, **kwargs)
        return r.status_code, dict(r.headers), r.text

    def cookie(self, sess, name: str) -> str | None:
        return sess.cookies.get(name)


class Transport:
    """Counts requests against the budgets and keeps every exchange."""

    def __init__(self, backend, max_requests: int, max_discovery: int, max_seconds: float, verbose: bool = False):
        self.backend = backend
        self.max_requests = max_requests
        self.max_discovery = max_discovery
        self.deadline = time.monotonic() + max_seconds
        self.started = time.monotonic()
        self.counts: Counter = Counter()
        self.exchanges: list[Exchange] = []
        self.verbose = verbose
        self.relogins: Counter = Counter()
        self.clients: list = []  # every signed-in client, so a user's sessions can all be renewed

    def spent(self, phase: str) -> bool:
        limit = self.max_requests if phase == "attack" else self.max_discovery
        return self.counts[phase] >= limit or time.monotonic() > self.deadline


class Client:
    """One signed-in user (a cookie session with its CSRF token), attributed to a persona for the report."""

    def __init__(self, transport: Transport, username: str, password: str, *, persona: str = "", kind: str = "owner"):
        self.t = transport
        self.username = username
        self.password = password
        self.persona = persona or username
        self.kind = kind
        transport.clients.append(self)
        self.sess = transport.backend.session()
        self.csrf: str | None = None
        self.me: dict = {}
        self.signed_in = False
        self._signing_in = False

    def sign_in(self, phase: str = "discover") -> None:
        self._signing_in = True
        try:
            self._sign_in(phase)
        finally:
            self._signing_in = False
        self.signed_in = True

    def _sign_in(self, phase: str) -> None:
        self.sess = self.t.backend.session()  # a fresh cookie jar: an ended session is not resumed
        r = self.call("GET", f"{API}/auth/csrf", phase=phase, op="GET /api/v1/auth/csrf")
        self.csrf = (r.data() or {}).get("csrf_token")
        r = self.call("POST", f"{API}/auth/session", phase=phase, op="POST /api/v1/auth/session",
                      json_body={"username": self.username, "password": self.password, "acknowledge": True})
        if r.status != 201:
            raise ProbeError(f"cannot sign in as {self.username}: {r.status} {_short(r.text, 300)}")
        # Signing in starts a fresh session, which needs a fresh CSRF token.
        r = self.call("GET", f"{API}/auth/csrf", phase=phase, op="GET /api/v1/auth/csrf")
        self.csrf = (r.data() or {}).get("csrf_token")
        self.me = self.call("GET", f"{API}/auth/me", phase=phase, op="GET /api/v1/auth/me").data() or {}

    def session_id(self) -> str | None:
        """The server-side session id inside the signed session cookie (readable without the key)."""
        cookie = self.t.backend.cookie(self.sess, "session")
        if not cookie:
            return None
        compressed = cookie.startswith(".")
        payload = cookie.lstrip(".").split(".")[0]
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            data = json.loads(zlib.decompress(raw) if compressed else raw)
        except (ValueError, zlib.error):
            return None
        sid = data.get("_user_id")
        return sid if isinstance(sid, str) else None

    def call(self, method: str, path: str, *, params=None, json_body=None, files=None, phase: str = "discover",
             op: str = "", group: str = "") -> Exchange:
        if self.t.spent(phase):
            raise BudgetExhausted(phase)
        headers = {}
        if method not in ("GET", "HEAD") and self.csrf:
            headers["X-CSRFToken"] = self.csrf
        group = group or path.removeprefix(API).strip("/").split("/")[0].split(".")[0]
        began = time.monotonic()
        try:
            status, resp_headers, text = self.t.backend.send(self.sess, method, path, params=params,
                                                             json_body=json_body, files=files, headers=headers)
        except requests.RequestException as exc:
            status, resp_headers, text = 599, {}, f"transport error: {exc}"
        self.t.counts[phase] += 1
        ex = Exchange(n=len(self.t.exchanges) + 1, phase=phase, persona=self.persona, kind=self.kind,
                      username=self.username, op=op or f"{method} {path}", group=group, method=method, path=path,
                      params=params, body=json_body, files=[f[0] for f in files.values()] if files else None,
                      status=status, ctype=(resp_headers.get("Content-Type") or resp_headers.get("content-type")
                                            or "").split(";")[0].strip(),
                      headers=resp_headers, text=text, seconds=time.monotonic() - began)
        self.t.exchanges.append(ex)
        if self.t.verbose:
            print(f"  [{phase}] {self.persona:28} {status} {ex.request_line()[:150]}", file=sys.stderr)
        if status == 401 and self.signed_in and not self._signing_in and not path.startswith(f"{API}/auth/session"):
            # Something ended this session (another attacker's sign-out-everywhere, a revocation): sign in
            # again and send the request once more, so the rest of the run still means something.
            self.t.relogins[self.username] += 1
            self.sign_in(phase)
            return self.call(method, path, params=params, json_body=json_body, files=files, phase=phase, op=op,
                             group=group)
        return ex

    def get(self, path: str, **kw) -> Exchange:
        return self.call("GET", API + path, op=kw.pop("op", f"GET {API}{path}"), **kw)

    def post(self, path: str, body=None, **kw) -> Exchange:
        return self.call("POST", API + path, json_body=body, op=kw.pop("op", f"POST {API}{path}"), **kw)


# ---------------------------------------------------------------------------------------------
# What the owners saw: users, cases, records, documents and everything that hangs off them
# ---------------------------------------------------------------------------------------------

@dataclass
class User:
    username: str
    role: str
    office: str
    supervisor: str | None
    uid: str = ""
    name: str = ""
    offices: tuple[str, ...] = ()
    subordinates: frozenset[str] = frozenset()
    email: str = ""
    phone: str = ""


@dataclass
class Item:
    """Something an owner saw. Cases, records and documents carry facts; the rest is governed by one of them
    (an attachment by its document, a grant by its case) or private to a user (`private_to`)."""

    uid: str
    kind: str
    office: str | None = None
    owner_uid: str | None = None
    author_uid: str | None = None
    type_name: str | None = None
    status: str | None = None
    restricted: bool = False
    team_uids: tuple[str, ...] = ()
    case_uids: set[str] = field(default_factory=set)  # active SUBJECT_IN/PART_OF cases (and a document's case_uid)
    governs: tuple[str, ...] = ()
    private_to: str | None = None
    secrets: list[tuple[str, str]] = field(default_factory=list)
    props: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    planted: bool = False
    deleted: bool = False

    def add(self, value, kind: str) -> None:
        if isinstance(value, list):
            for v in value:
                self.add(v, kind)
            return
        if isinstance(value, str) and len(value.strip()) >= MIN_SECRET:
            self.secrets.append((value.strip(), kind))


class World:
    def __init__(self):
        self.users: dict[str, User] = {}
        self.items: dict[str, Item] = {}
        self.offices: list[dict] = []
        self.grants: list[dict] = []
        self.links: list[dict] = []  # {source, target, type, case_uid}
        self.selectors: dict[str, dict] = {}  # selector uid -> {caption, type, users: set of record uids}
        self.owner_sessions: dict[str, str] = {}  # user uid -> sid
        self.owner_tokens: dict[str, dict] = {}  # user uid -> {uid, token}
        self.catalogue: dict[str, list[dict]] = {}  # query name -> params
        self.callpairs: list[Item] = []

    def user_by_uid(self, uid: str | None) -> User | None:
        return next((u for u in self.users.values() if u.uid == uid), None)

    def item(self, uid: str, kind: str) -> Item:
        it = self.items.get(uid)
        if it is None:
            it = self.items[uid] = Item(uid=uid, kind=kind)
            it.add(uid, "uid")
        return it

    def of_kind(self, *kinds: str) -> list[Item]:
        return [i for i in self.items.values() if i.kind in kinds and not i.deleted]


def _org(users: dict[str, tuple[str, str, str | None]]) -> dict[str, User]:
    out = {name: User(name, role, office, sup) for name, (role, office, sup) in users.items()}
    return out


class Discovery:
    """Sign in as every user and collect, as the owners, everything the attackers will later ask for."""

    def __init__(self, transport: Transport, world: World, password: str, users: dict, rng: random.Random,
                 plant: bool, tag: str):
        self.t = transport
        self.w = world
        self.password = password
        self.user_table = users
        self.rng = rng
        self.plant_enabled = plant
        self.tag = tag
        self.clients: dict[str, Client] = {}
        self.log: list[str] = []
        self.unresolved: dict[str, str] = {}

    def note(self, message: str) -> None:
        self.log.append(message)

    def client(self, username: str) -> Client:
        c = self.clients.get(username)
        if c is None:
            c = Client(self.t, username, self.password)
            c.sign_in()
            self.clients[username] = c
        return c

    # --- users ---------------------------------------------------------------------------------

    def users(self) -> None:
        org = _org(self.user_table)
        for name, user in org.items():
            c = self.client(name)
            me = c.me
            user.uid = me.get("uid", f"user-{name}")
            user.name = me.get("name", "")
            user.offices = tuple(me.get("offices") or (user.office,))
            sid = c.session_id()
            if sid:
                self.w.owner_sessions[user.uid] = sid
            for sess in c.get("/auth/sessions", op="GET /api/v1/auth/sessions").data() or []:
                if isinstance(sess, dict) and sess.get("uid"):
                    it = self.w.item(sess["uid"], "session")
                    it.private_to = me.get("uid", f"user-{name}")
        by_sup: dict[str, list[str]] = defaultdict(list)
        for name, user in org.items():
            if user.supervisor:
                by_sup[user.supervisor].append(name)
        for name, user in org.items():
            below, todo = set(), list(by_sup.get(name, ()))
            while todo:
                n = todo.pop()
                if org[n].uid not in below:
                    below.add(org[n].uid)
                    todo.extend(by_sup.get(n, ()))
            user.subordinates = frozenset(below)
        self.w.users = org
        offices = self.client(next(iter(org))).get("/offices").data()
        self.w.offices = offices if isinstance(offices, list) else []

    # --- cases, records, documents ------------------------------------------------------------------

    def _case(self, c: Client, case_uid: str) -> None:
        r = c.get(f"/cases/{case_uid}", op="GET /api/v1/cases/{case_uid}")
        data = r.data()
        if r.status != 200 or not isinstance(data, dict):
            return
        props = data.get("props") or {}
        it = self.w.item(case_uid, "case")
        it.office, it.owner_uid = props.get("office_code"), props.get("owner_uid")
        it.restricted = bool(props.get("restricted"))
        it.team_uids = tuple(props.get("team_uids") or ())
        it.status, it.props, it.deleted = props.get("status"), props, bool(props.get("deleted"))
        it.add(props.get("case_number"), "case_number")
        it.add(props.get("title"), "name")
        it.add(data.get("caption"), "name")
        for member in data.get("subjects") or []:
            self._member(member, case_uid, "record")
        for member in data.get("documents") or []:
            self._member(member, case_uid, "document")

    def _member(self, member: dict, case_uid: str, kind: str) -> None:
        if not isinstance(member, dict) or member.get("locked") or not member.get("uid"):
            return
        it = self.w.item(member["uid"], kind)
        it.case_uids.add(case_uid)
        self._fill(it, member)

    def _fill(self, it: Item, member: dict) -> None:
        """A record's or document's facts and secrets from how the API shows it ({type, caption, props})."""
        props = member.get("props") or {}
        if not props:
            return
        it.type_name = member.get("type")
        it.office, it.owner_uid = props.get("office_code"), props.get("owner_uid")
        it.author_uid, it.status = props.get("author_uid"), props.get("status")
        it.deleted = bool(props.get("deleted"))
        it.props = props
        if it.kind == "document" and props.get("case_uid"):
            it.case_uids.add(props["case_uid"])
        if it.kind == "record":
            for f in NAME_FIELDS:
                it.add(props.get(f), "name")
            if it.type_name in CAPTIONED:
                it.add(member.get("caption"), "name")
            for f in IDENTIFIER_FIELDS:
                value = props.get(f)
                it.add(value, "identifier")
                if isinstance(value, str):
                    compact = re.sub(r"[^0-9A-Za-z]", "", value)
                    if compact != value:
                        it.add(compact, "identifier")
            for ident in props.get("identifiers") or []:
                if isinstance(ident, dict):
                    it.add(ident.get("value"), "identifier")
        else:
            it.add(props.get("title"), "content")

    def want(self, uid, username: str) -> None:
        """Remember a uid some owner's view named that no case listed, to be read as that owner."""
        if isinstance(uid, str) and uid and uid not in self.w.items:
            self.unresolved.setdefault(uid, username)

    def resolve(self) -> None:
        """Read the records no case listed (created outside a case, or by earlier runs), as the user who
        saw them named, with their selectors: the model needs their owner, office and cases too."""
        for uid, username in list(self.unresolved.items()):
            if uid in self.w.items:
                continue
            c = self.client(username)
            data = c.get(f"/records/{uid}", op="GET /api/v1/records/{record_uid}").data()
            if not isinstance(data, dict) or not data.get("props"):
                continue
            type_name = data.get("type")
            if type_name == "Case":
                continue
            kind = "record" if type_name in ENTITY_SLUGS else "document" if type_name else None
            if kind is None:
                continue
            it = self.w.item(uid, kind)
            for case in data.get("cases") or []:
                if isinstance(case, dict) and case.get("uid"):
                    it.case_uids.add(case["uid"])
            self._fill(it, data)
            if kind == "record":
                nb = c.get(f"/graph/neighbours/{uid}", op="GET /api/v1/graph/neighbours/{record_uid}").data() or {}
                for link in nb.get("links") or []:
                    other = (link or {}).get("other") or {}
                    if link.get("type") in SELECTOR_LINKS and not other.get("locked"):
                        it.add(other.get("caption"), "selector")
                        it.extra.setdefault("selectors", []).append(
                            {"type": other.get("type"), "caption": other.get("caption"), "uid": other.get("uid")})
                        sel = self.w.selectors.setdefault(other.get("uid"), {"caption": other.get("caption"),
                                                                             "type": other.get("type"), "users": set()})
                        sel["users"].add(uid)

    def office_records(self) -> None:
        """Records added to each owner's office lately, found with the catalogue query an agent would use."""
        for name, user in self.w.users.items():
            if user.role in ("admin", "auditor"):
                continue
            data = self.client(name).post("/queries/recent_office_entities/run", {"params": {"days": 3650}},
                                          op="POST /api/v1/queries/{name}/run").data() or {}
            for row in data.get("rows") or []:
                if isinstance(row, dict):
                    self.want(row.get("uid"), name)

    def list_cases(self) -> None:
        """Every case some owner lists, with the facts the listing gives (read in full by `cases`)."""
        for name, user in self.w.users.items():
            if user.role in ("admin", "auditor"):
                continue
            c = self.client(name)
            for page in range(1, 21):
                data = c.get("/cases", params={"page": page, "page_size": 100}, op="GET /api/v1/cases").data()
                if not isinstance(data, list) or not data:
                    break
                for case in data:
                    if not isinstance(case, dict) or not case.get("uid") or case["uid"] in self.w.items:
                        continue
                    props = case.get("props") or {}
                    it = self.w.item(case["uid"], "case")
                    it.office, it.owner_uid = props.get("office_code"), props.get("owner_uid")
                    it.restricted, it.status = bool(props.get("restricted")), props.get("status")
                    it.team_uids = tuple(props.get("team_uids") or ())
                if len(data) < 100:
                    break

    def cases(self) -> None:
        """Each case read in full by its owner, then by the auditor (so a record's complete list of cases
        is known), with its grants, disclosures, selectors and links."""
        for case in sorted(self.w.of_kind("case"), key=lambda k: k.uid):
            owner = self.w.user_by_uid(case.owner_uid)
            if owner is not None:
                self._case(self.client(owner.username), case.uid)
            if "auditor" in self.w.users:
                self._case(self.client("auditor"), case.uid)
        for case in sorted(self.w.of_kind("case"), key=lambda k: k.uid):
            owner = self.w.user_by_uid(case.owner_uid)
            c = self.client(owner.username) if owner else self.client("auditor")
            self._case_extras(c, case)

    def _case_extras(self, c: Client, case: Item) -> None:
        grants = c.get(f"/cases/{case.uid}/grants", op="GET /api/v1/cases/{case_uid}/grants").data()
        for g in grants if isinstance(grants, list) else []:
            self.w.grants.append(g)
            it = self.w.item(g["uid"], "grant")
            it.governs = (case.uid,)
            it.add(g.get("request_uid"), "uid")
        discl = c.get(f"/cases/{case.uid}/disclosures", op="GET /api/v1/cases/{case_uid}/disclosures").data()
        for d in discl if isinstance(discl, list) else []:
            it = self.w.item(d["uid"], "disclosure")
            it.governs = (case.uid,)
        r = c.post("/queries/case_link_chart/run", {"params": {"case_uid": case.uid, "selectors": True}},
                   op="POST /api/v1/queries/{name}/run")
        data = r.data() or {}
        nodes = {n.get("id"): n for n in data.get("nodes") or [] if isinstance(n, dict)}
        for e in data.get("edges") or []:
            a, b = nodes.get(e.get("source")), nodes.get(e.get("target"))
            if not a or not b or a.get("locked") or b.get("locked"):
                continue
            if e.get("type") in SELECTOR_LINKS and a.get("uid") in self.w.items:
                sel = self.w.selectors.setdefault(b["uid"], {"caption": b.get("caption"), "type": b.get("type"),
                                                             "users": set()})
                sel["users"].add(a["uid"])
                rec = self.w.items[a["uid"]]
                rec.add(b.get("caption"), "selector")
                rec.extra.setdefault("selectors", []).append({"type": b.get("type"), "caption": b.get("caption"),
                                                              "uid": b.get("uid")})
            elif e.get("type") not in ("SUBJECT_IN", "PART_OF") and a.get("type") not in (None, "Case"):
                self.w.links.append({"source": a.get("uid"), "target": b.get("uid"), "type": e.get("type"),
                                     "case_uid": case.uid})

    def documents(self) -> None:
        for doc in self.w.of_kind("document"):
            owner = self.w.user_by_uid(doc.author_uid or doc.owner_uid)
            if owner is None:
                continue
            data = self.client(owner.username).get(f"/documents/{doc.uid}",
                                                    op="GET /api/v1/documents/{document_uid}").data() or {}
            for att in data.get("attachments") or []:
                if isinstance(att, dict) and att.get("uid"):
                    it = self.w.item(att["uid"], "attachment")
                    it.governs = (doc.uid,)
                    it.extra["document"] = doc.uid
                    it.add(att.get("filename"), "content")
                    it.add(att.get("sha256"), "content")

    def per_user(self) -> None:
        """Hits, approvals, notifications, tokens and saved queries, each as the user whose they are."""
        for name, user in self.w.users.items():
            c = self.client(name)
            if user.role not in ("admin",):
                r = c.post("/auth/tokens", {"name": f"insider-probe-{self.tag}", "expires_in_days": 1},
                           op="POST /api/v1/auth/tokens")
                tok = r.data() or {}
                if r.status == 201 and tok.get("uid"):
                    self.w.owner_tokens[user.uid] = tok
                    it = self.w.item(tok["uid"], "token")
                    it.private_to = user.uid
                    it.add(tok.get("token"), "credential")
                    it.add(hashlib.sha256(tok["token"].encode()).hexdigest(), "credential")
            if user.role in ("admin", "auditor"):
                continue
            for h in c.get("/deconfliction/hits", op="GET /api/v1/deconfliction/hits").data() or []:
                if isinstance(h, dict) and h.get("hit_uid"):
                    it = self.w.item(h["hit_uid"], "hit")
                    if it.owner_uid is None:
                        it.owner_uid = user.uid  # hits are listed to the owner of their own side (and supervisors)
                    sides = [u for u in (h.get("record_uid"), h.get("uid")) if isinstance(u, str)]
                    it.extra["sides"] = list(dict.fromkeys([*it.extra.get("sides", []), *sides]))
                    for u in sides:
                        self.want(u, name)
            if user.subordinates:
                for a in c.get("/approvals", op="GET /api/v1/approvals").data() or []:
                    if isinstance(a, dict) and a.get("uid"):
                        target = a.get("target_uid")
                        if target == a["uid"]:
                            self.want(target, name)  # a pending record or case is its own item
                            continue
                        it = self.w.item(a["uid"], "item")
                        it.extra["target"] = target
                        it.owner_uid = a.get("requested_by")
                        self.want(target, name)
            for q in c.get("/queries", op="GET /api/v1/queries").data() or []:
                if not isinstance(q, dict):
                    continue
                if q.get("source", "catalogue") == "catalogue":
                    self.w.catalogue.setdefault(q["name"], q.get("params") or [])
                elif q.get("author_uid") == user.uid and not q.get("approved_version"):
                    it = self.w.item(q["name"], "query")
                    it.private_to = user.uid
        for name, user in self.w.users.items():
            if user.role in ("admin",):
                continue
            for n in self.client(name).get("/notifications", params={"limit": 100},
                                           op="GET /api/v1/notifications").data() or []:
                if isinstance(n, dict) and n.get("uid"):
                    it = self.w.item(n["uid"], "notification")
                    it.private_to = user.uid
                    self.want(n.get("record_uid"), name)

    def link_governed(self) -> None:
        """Hits and approval items are governed by the records they name, now that those are known."""
        for it in list(self.w.items.values()):
            if it.kind == "hit":
                # A hit joins two records; the lister sees the other one only when they may read it, and a hit
                # with a side nobody could name is neither a secret nor a target.
                it.governs = tuple(u for u in dict.fromkeys(it.extra.get("sides", ())) if u in self.w.items)
                it.extra["complete"] = len(it.governs) == 2
            elif it.kind == "item":
                target = it.extra.get("target")
                it.governs = (target,) if target in self.w.items else ()
                it.extra["complete"] = bool(it.governs)

    def comments(self) -> None:
        """Comments on hidden records (and the planted ones), read by the record's owner."""
        for rec in self.w.of_kind("record"):
            if not (rec.planted or any(self.w.items[c].restricted for c in rec.case_uids if c in self.w.items)):
                continue
            owner = self.w.user_by_uid(rec.owner_uid)
            if owner is None:
                continue
            for cm in self.client(owner.username).get(f"/records/{rec.uid}/comments",
                                                      op="GET /api/v1/records/{record_uid}/comments").data() or []:
                if isinstance(cm, dict) and cm.get("uid"):
                    it = self.w.item(cm["uid"], "comment")
                    it.governs = (rec.uid,)
                    it.add(cm.get("text"), "content")

    def call_history(self) -> None:
        """Call history of the planted numbers, as the case owner sees it."""
        for pair in self.w.callpairs:
            case = self.w.items.get(pair.governs[0])
            owner = self.w.user_by_uid(case.owner_uid if case else None)
            if owner is None:
                continue
            r = self.client(owner.username).post(
                "/queries/call_history/run", {"params": {"phone_a": pair.extra["a"], "phone_b": pair.extra["b"]}},
                op="POST /api/v1/queries/{name}/run")
            pair.extra["owner_rows"] = len((r.data() or {}).get("rows") or [])

    def searches(self) -> None:
        """Owners find their restricted subjects by search too (ids discovered the way a user would)."""
        for case in self.w.of_kind("case"):
            if not case.restricted:
                continue
            owner = self.w.user_by_uid(case.owner_uid)
            subjects = [r for r in self.w.of_kind("record") if case.uid in r.case_uids and r.props.get("family_name")]
            if owner and subjects:
                self.client(owner.username).get("/search", params={"text": subjects[0].props["family_name"]},
                                                op="GET /api/v1/search")

    # --- canaries --------------------------------------------------------------------------------

    def _word(self, n: int = 7) -> str:
        return "".join(self.rng.choice("bcdfghjklmnpqrstvwxz") + self.rng.choice("aeiou") for _ in range(n // 2 + 1))[:n]

    def _phone(self) -> str:
        return f"+1{self.rng.choice(('305', '212', '713'))}{self.rng.randint(200, 999)}{self.rng.randint(1000, 9999)}"

    def plant(self) -> None:
        """For each restricted case, its owner plants canaries with unique strings (best effort: a refusal is noted)."""
        for case in sorted(self.w.of_kind("case"), key=lambda c: c.uid):
            if not case.restricted:
                continue
            owner = self.w.user_by_uid(case.owner_uid)
            if owner is None:
                continue
            try:
                self._plant_case(self.client(owner.username), owner, case)
            except BudgetExhausted:
                raise
            except Exception as exc:  # noqa: BLE001 - planting is best effort; the report says what failed
                self.note(f"planting in {case.uid} failed: {exc!r}")

    def _plant_case(self, c: Client, owner: User, case: Item) -> None:
        given, family = "Q" + self._word(7), "Zv" + self._word(8)
        phone_a, phone_b = self._phone(), self._phone()
        ssn = f"{self.rng.randint(100, 665)}-{self.rng.randint(10, 99)}-{self.rng.randint(1000, 9999)}"
        email = f"{given.lower()}.{family.lower()}@canary.example.com"
        person = {"given_name": given, "family_name": family, "dob": f"19{self.rng.randint(50, 99)}-0{self.rng.randint(1, 9)}-1{self.rng.randint(0, 9)}",
                  "ssn": ssn, "phones": [phone_a], "emails": [email]}
        r = c.post("/records/persons", person, params={"case_uid": case.uid}, op="POST /api/v1/records/persons")
        if r.status != 201:
            self.note(f"{case.uid}: canary person refused {r.status} {_short(r.text, 200)}")
            return
        puid = r.data()["uid"]
        # A near-duplicate kept apart on purpose (a create that matches needs a reason, or it is refused 409).
        twin = c.post("/records/persons", dict(person, given_name=given[:-1], separate_reason="probe: kept apart"),
                      params={"case_uid": case.uid},
                      op="POST /api/v1/records/persons")
        if twin.status != 201:
            self.note(f"{case.uid}: canary twin refused {twin.status}")
        roi = c.post(f"/cases/{case.uid}/documents/reports-of-investigation",
                     {"title": f"ROI canary {self._word(9)}", "narrative": f"Narrative canary {self._word(11)}"},
                     op="POST /api/v1/cases/{case_uid}/documents/reports-of-investigation")
        doc_uid = (roi.data() or {}).get("uid") if roi.status == 201 else None
        if doc_uid:
            content = f"attachment canary {self._word(12)}".encode()
            c.call("POST", f"{API}/documents/{doc_uid}/attachments", op="POST /api/v1/documents/{document_uid}/attachments",
                   files={"file": (f"canary-{self._word(8)}.txt", content, "text/plain")})
        c.post(f"/records/{puid}/comments", {"text": f"comment canary {self._word(10)}", "kind": "note"},
               op="POST /api/v1/records/{record_uid}/comments")
        csv = (f"originating_number,terminating_number,start_time,duration\n"
               f"{phone_a},{phone_b},2025-01-02T10:00:00,60\n{phone_b},{phone_a},2025-01-03T11:00:00,95\n").encode()
        r = c.call("POST", f"{API}/cases/{case.uid}/telecom/cdr", op="POST /api/v1/cases/{case_uid}/telecom/cdr",
                   files={"file": ("calls.csv", csv, "text/csv")})
        if r.status == 200:
            pair = Item(uid=f"callpair:{phone_a}:{phone_b}", kind="callpair", governs=(case.uid,), planted=True,
                        extra={"a": phone_a, "b": phone_b})
            pair.add(phone_b, "selector")
            self.w.items[pair.uid] = pair
            self.w.callpairs.append(pair)
        c.post(f"/cases/{case.uid}/grants", {"grantee_office": "HQ", "reason": f"canary grant {self._word(6)}"},
               op="POST /api/v1/cases/{case_uid}/grants")
        # A close request names the ROI that documents it; the draft ROI above is submitted with it.
        c.post(f"/cases/{case.uid}/close", {"reason": "no_new_information", "comment": f"canary {self._word(8)}",
                                            "roi_uid": doc_uid},
               op="POST /api/v1/cases/{case_uid}/close")
        if owner.role in ("agent", "analyst", "supervisor"):
            name = f"probe_owner_{self.tag}_{case.uid.replace('-', '_')}"[:63].lower()
            text = (f"// name: {name}\n// description: canary {self._word(9)}\n// result: table\n"
                    "// roles: agent, analyst, supervisor, auditor\n// param: case_uid | uid | required\n"
                    "MATCH (c:Case {uid: $case_uid}) WHERE {{case_readable c}} RETURN c")
            r = c.post("/queries", {"name": name, "text": text}, op="POST /api/v1/queries")
            if r.status == 201:
                it = self.w.item(name, "query")
                it.private_to, it.planted = owner.uid, True
        sup = self.w.users.get(owner.supervisor or "")
        if sup:
            self.client(sup.username).get(f"/records/{puid}", op="GET /api/v1/records/{record_uid}")
        self.w.item(puid, "record").planted = True
        if twin.status == 201:
            self.w.item(twin.data()["uid"], "record").planted = True
        if doc_uid:
            self.w.item(doc_uid, "document").planted = True
        # A draft in one of the owner's unrestricted cases: hidden from colleagues of the same office.
        open_case = next((k for k in sorted(self.w.of_kind("case"), key=lambda k: k.uid)
                          if k.owner_uid == owner.uid and not k.restricted and k.status == "open"), None)
        if open_case:
            r = c.post(f"/cases/{open_case.uid}/documents/reports-of-investigation",
                       {"title": f"ROI draft canary {self._word(9)}", "narrative": f"Draft canary {self._word(11)}"},
                       op="POST /api/v1/cases/{case_uid}/documents/reports-of-investigation")
            if r.status == 201:
                self.w.item(r.data()["uid"], "document").planted = True

    def run(self) -> None:
        self.users()
        self.list_cases()
        if self.plant_enabled:
            self.plant()
        self.cases()
        self.documents()
        self.per_user()
        self.office_records()
        self.resolve()
        self.link_governed()
        self.comments()
        self.call_history()
        self.searches()


# ---------------------------------------------------------------------------------------------
# The reference model: who may read what, and whose existence is protected
# ---------------------------------------------------------------------------------------------

class Model:
    """`policy/rules.py`'s read rules, written out again over the discovered facts (see `policy/scopes.py`)."""

    def __init__(self, world: World):
        self.w = world
        self.granted: dict[str, set[str]] = {}
        for u in world.users.values():
            self.granted[u.uid] = {g.get("case_uid") for g in world.grants
                                   if g.get("status") == "active" and (g.get("grantee_uid") == u.uid
                                                                       or g.get("grantee_office") in u.offices)}

    @staticmethod
    def owns(u: User, uid: str | None) -> bool:
        return uid is not None and (uid == u.uid or uid in u.subordinates)

    def case_read(self, u: User, c: Item) -> bool:
        if self.owns(u, c.owner_uid) or any(self.owns(u, t) for t in c.team_uids):
            return True
        return not c.restricted and (c.office in u.offices or c.uid in self.granted.get(u.uid, ()))

    def _cases(self, it: Item) -> list[Item]:
        return [self.w.items[c] for c in sorted(it.case_uids) if c in self.w.items]

    def is_draft(self, it: Item) -> bool:
        return it.kind == "document" and it.type_name == "ReportOfInvestigation" and \
            (it.status or "draft") in DRAFT_STATUSES

    def can_read(self, u: User, it: Item) -> bool:
        if u.role == "auditor" or (it.owner_uid == u.uid and it.kind in ("case", "record", "document")):
            return True  # the auditor reads everything; what a user made is never a secret from them
        if it.kind == "query" and u.role in ("supervisor", "admin"):
            return True  # approvers approve saved queries by name (queries/store.py): a draft is known to them
        if it.kind == "session" and (u.role == "admin" or it.private_to in u.subordinates):
            return True  # administrators and supervisors above a user may end the user's sessions
        if it.private_to is not None:
            return it.private_to == u.uid
        if u.role == "admin":
            return False
        if it.kind in ("hit", "item") and self.owns(u, it.owner_uid):
            return True  # a hit is listed to its side's owner, a request to its requester, and their supervisors
        if it.governs:
            return any(self.can_read(u, self.w.items[g]) for g in it.governs if g in self.w.items)
        if it.kind == "case":
            return self.case_read(u, it)
        if self.is_draft(it):
            return self.owns(u, it.author_uid or it.owner_uid)
        if it.kind in ("record", "document"):
            cases = self._cases(it)
            if self.owns(u, it.owner_uid) or any(self.case_read(u, c) for c in cases):
                return True
            return it.office in u.offices and not any(c.restricted for c in cases)
        return False

    def hidden(self, it: Item) -> bool:
        """Is the item's existence itself protected (a refusal must answer exactly like a missing id)?"""
        if it.private_to is not None or it.deleted:
            return True
        if it.governs:
            return it.extra.get("complete", True) and all(self.hidden(self.w.items[g]) for g in it.governs)
        if it.kind == "case":
            return it.restricted
        cases = self._cases(it)
        if it.kind == "record":
            return any(c.restricted for c in cases) and not any(not c.restricted for c in cases)
        if it.kind == "document":
            return self.is_draft(it) or any(c.restricted for c in cases)
        return False

    def office_of(self, it: Item) -> str | None:
        if it.office:
            return it.office
        for g in it.governs:
            if g in self.w.items:
                return self.office_of(self.w.items[g])
        if it.private_to:
            u = self.w.user_by_uid(it.private_to)
            return u.office if u else None
        return None

    def restricted_case_of(self, it: Item) -> str | None:
        if it.kind == "case":
            return it.uid if it.restricted else None
        for c in sorted(it.case_uids):
            if c in self.w.items and self.w.items[c].restricted:
                return c
        for g in it.governs:
            if g in self.w.items:
                found = self.restricted_case_of(self.w.items[g])
                if found:
                    return found
        return None


# ---------------------------------------------------------------------------------------------
# Secrets: what each attacker must never see, and what it may
# ---------------------------------------------------------------------------------------------

@dataclass
class Secret:
    value: str
    kind: str
    item: str
    item_kind: str
    hidden: bool


#: Response headers whose values are random tokens, not data: never scanned for secrets.
OPAQUE_HEADERS = frozenset({"x-request-id"})


class Scanner:
    """Finds an attacker's secrets in a text, case-insensitively, except inside an allowed string."""

    def __init__(self, secrets: dict[str, Secret], allowed: set[str]):
        self.secrets = secrets
        self.allowed = allowed
        self.prefixes: dict[str, list[str]] = defaultdict(list)
        for s in sorted(secrets, key=len, reverse=True):
            self.prefixes[s[:MIN_SECRET]].append(s)
        self._supers: dict[str, list[str]] = {}

    def supers(self, s: str) -> list[str]:
        got = self._supers.get(s)
        if got is None:
            got = self._supers[s] = [a for a in self.allowed if s in a and a != s]
        return got

    @staticmethod
    def _covered(text: str, pos: int, s: str, candidates) -> bool:
        for w in candidates:
            if len(w) < len(s) or s not in w:
                continue
            start = max(0, pos - len(w) + len(s))
            j = text.find(w, start)
            while j != -1 and j <= pos:
                if j + len(w) >= pos + len(s):
                    return True
                j = text.find(w, j + 1)
        return False

    def find(self, text: str, extra_allowed: set[str], stored: set[str], tokens: set[str]) -> list[tuple[Secret, str]]:
        """Secrets in `text`, except inside `extra_allowed` or `stored` strings or made only of `tokens`
        (words and compacted values the attacker itself supplied: its own record's caption joins them)."""
        t = text.lower()
        out: dict[str, tuple[Secret, str]] = {}
        prefixes = self.prefixes
        # Random ids (uuid4 hex: a hit's, a job's, a request's) are opaque by construction: a 7-digit
        # identifier turns up inside one about once in a few thousand answers, and carries nothing of the
        # store. A secret that is such an id itself (a hidden record's uid) is still found.
        opaque = [(m.start(), m.end()) for m in _HEX_ID.finditer(t)]
        for i in range(len(t) - MIN_SECRET + 1):
            bucket = prefixes.get(t[i:i + MIN_SECRET])
            if not bucket:
                continue
            for s in bucket:
                if s in out or not t.startswith(s, i):
                    continue
                if s in extra_allowed or s in stored or _compact(s) in tokens or \
                        all(w in tokens for w in _words(s)):
                    continue
                if self._covered(t, i, s, self.supers(s)) or self._covered(t, i, s, extra_allowed) or \
                        self._covered(t, i, s, stored):
                    continue
                if any(a <= i and i + len(s) <= b and b - a > len(s) for a, b in opaque):
                    continue
                out[s] = (self.secrets[s], text[max(0, i - 60): i + len(s) + 60])
        return list(out.values())


#: A uuid4 written as 32 hex digits, standing alone.
_HEX_ID = re.compile(r"(?<![0-9a-z])[0-9a-f]{32}(?![0-9a-z])")


def written_forms(values: set[str]) -> set[str]:
    """Readable values as answers write them: as stored, and lower-cased with punctuation as spaces (a match
    explanation's "william vargas morales" for "William Vargas-Morales"), so that a hidden "William Vargas"
    inside that is taken for the readable record's name it is part of, not for the hidden one's."""
    return values | {" ".join(_words(v)) for v in values}


def _words(s: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", s.lower())


def _compact(s: str) -> str:
    return "".join(_words(s))


def tokens_of(strings) -> set[str]:
    """The words of some strings and each string compacted (punctuation dropped: 104-34-9656 -> 104349656)."""
    out: set[str] = set()
    for s in strings:
        out.update(_words(s))
        out.add(_compact(s))
    return out


def strings_in(value, out: set[str] | None = None, numbers: bool = False) -> set[str]:
    """Every string (lower-cased, stripped) inside a JSON-like value, keys included; with `numbers`,
    numbers too, as JSON writes them (what an attacker sends as `"year": 2015` is its own "2015")."""
    out = set() if out is None else out
    if isinstance(value, str):
        v = value.strip().lower()
        if v:
            out.add(v)
    elif numbers and isinstance(value, int | float) and not isinstance(value, bool):
        out.add(json.dumps(value))
    elif isinstance(value, dict):
        for k, v in value.items():
            strings_in(k, out, numbers)
            strings_in(v, out, numbers)
    elif isinstance(value, list | tuple):
        for v in value:
            strings_in(v, out, numbers)
    elif isinstance(value, bytes):
        strings_in(value.decode("utf-8", "replace"), out, numbers)
    return out


# ---------------------------------------------------------------------------------------------
# Attackers and their targets
# ---------------------------------------------------------------------------------------------

@dataclass
class Target:
    slot: str
    values: dict[str, object]
    item: Item | None
    hidden: bool
    #: The keys of `values` that name the item (randomised for the "missing" twin).
    ids: tuple[str, ...] = ()


@dataclass
class Persona:
    name: str
    kind: str
    user: User
    client: Client
    targets: list[Item] = field(default_factory=list)
    own: dict[str, str] = field(default_factory=dict)
    scanner: Scanner | None = None
    secrets: dict[str, Secret] = field(default_factory=dict)
    note: str = ""


@dataclass
class Leak:
    cls: str
    persona: str
    kind: str
    op: str
    request: str
    status: int
    evidence: str
    item: str | None = None
    item_kind: str | None = None
    exchange: int = 0
    twin: str | None = None


def fake_like(value: str, rng: random.Random, known: set[str]) -> str:
    """A never-existing id of the same shape as `value` (hex stays hex, digits stay digits)."""
    for _ in range(50):
        if re.fullmatch(r"[0-9a-f]{32}", value):
            v = f"{rng.getrandbits(128):032x}"
        elif UUID_RE.fullmatch(value):
            v = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        elif re.fullmatch(r"\+\d{8,15}", value):
            v = value[:5] + "".join(rng.choice(string.digits) for _ in value[5:])
        elif any(ch.isdigit() for ch in value):
            v = "".join(rng.choice(string.digits) if ch.isdigit() else ch for ch in value)
            if v == value:
                continue
        else:
            v = value + "_" + "".join(rng.choice(string.ascii_lowercase) for _ in range(6))
        if v not in known:
            return v
    return value + "x" + "".join(rng.choice(string.ascii_lowercase) for _ in range(8))


def normalise(text: str, ids: list[str]) -> str:
    for i in sorted((x for x in ids if x), key=len, reverse=True):
        text = text.replace(i, "<ID>")
    text = TIMESTAMP.sub("<TS>", text)
    text = UUID_RE.sub("<UUID>", text)
    return HEX32.sub("<HEX>", text)


def _diff(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return f"...{a[max(0, i - 40): i + 80]!r} vs ...{b[max(0, i - 40): i + 80]!r}"


class Attack:
    """Replays every OpenAPI operation as each attacker, then the analyst-authored query tricks."""

    def __init__(self, transport: Transport, world: World, model: Model, password: str, rng: random.Random,
                 tag: str, discovery: Discovery, selectors_public: bool = False):
        self.t = transport
        self.w = world
        self.m = model
        self.password = password
        self.rng = rng
        self.tag = tag
        self.d = discovery
        self.personas: list[Persona] = []
        self.leaks: list[Leak] = []
        #: Strings attackers stored with successful writes (known ids aside), by the storing user's office:
        #: a record an attacker created is readable by its office, so a copied name is no longer a secret there.
        self.stored: dict[str, set[str]] = defaultdict(set)
        self.stored_tokens: dict[str, set[str]] = defaultdict(set)
        self.known_ids = set(world.items) | {u.uid for u in world.users.values()}
        self.known_lower = {k.lower() for k in self.known_ids}
        self.allowed_global = self._global_allowed()
        self.ops: list[tuple[str, str, dict]] = []
        self.unrecipied: list[str] = []
        self.selectors_public = selectors_public
        self.coverage: Counter = Counter()
        self.skipped: list[str] = []

    # --- who attacks, and with what --------------------------------------------------------------------

    def _global_allowed(self) -> set[str]:
        out: set[str] = set()
        for u in self.w.users.values():
            for v in (u.username, u.name, u.uid, u.email, u.phone, f"{u.username}@"):
                if v:
                    out.add(v.lower())
        for o in self.w.offices:
            if isinstance(o, dict):
                out |= {str(v).lower() for v in o.values() if isinstance(v, str)}
        return out

    def choose_personas(self) -> None:
        users = self.w.users
        chosen: list[tuple[str, str, list[Item], str]] = []

        def root(office: str | None) -> str:
            return (office or "").split("-")[0]

        for kind, role in (("other_office_agent", "agent"), ("other_office_analyst", "analyst")):
            names = [n for n in PREFERRED[kind] if n in users and users[n].role == role]
            if not names:
                names = sorted(n for n, u in users.items() if u.role == role)[:2]
            for n in names:
                u = users[n]
                targets = [i for i in self.w.items.values()
                           if not self.m.can_read(u, i) and root(self.m.office_of(i)) != root(u.office)]
                chosen.append((kind, n, targets, ""))
        if "admin" in users:
            chosen.append(("admin", "admin", [i for i in self.w.items.values() if not self.m.can_read(users["admin"], i)],
                           ""))
        # Same-office outsiders: for each restricted case, an agent whose offices include the case's office,
        # not on its team and not a supervisor above any of them; an analyst when there is no such agent.
        by_user: dict[str, list[str]] = defaultdict(list)
        for case in sorted(self.w.of_kind("case"), key=lambda c: c.uid):
            if not case.restricted:
                continue
            team = {case.owner_uid, *case.team_uids}
            pick = None
            for role in ("agent", "analyst"):
                for n, u in sorted(users.items()):
                    if u.role != role or case.office not in u.offices or u.uid in team:
                        continue
                    if any(t in u.subordinates for t in team if t):
                        continue
                    pick = n
                    break
                if pick:
                    break
            if pick:
                by_user[pick].append(case.uid)
            else:
                self.skipped.append(f"{case.uid}: no same-office user outside its team")
        for n, case_uids in sorted(by_user.items()):
            u = users[n]
            targets = [i for i in self.w.items.values() if not self.m.can_read(u, i)
                       and (self.m.restricted_case_of(i) in case_uids
                            or (self.m.is_draft(i) and i.office in u.offices))]
            note = ("restricted " + ", ".join(case_uids)) + ("" if u.role == "agent" else " (no same-office agent "
                                                                                          "outside the team)")
            chosen.append(("same_office_outsider", n, targets, note))
        for kind, n, targets, note in chosen:
            client = Client(self.t, n, self.password, persona=f"{kind}:{n}", kind=kind)
            client.sign_in(phase="attack")
            p = Persona(name=f"{kind}:{n}", kind=kind, user=users[n], client=client, note=note,
                        targets=[i for i in targets if not i.deleted and i.extra.get("complete") is not False])
            self._secrets(p)
            self.personas.append(p)

    def _secrets(self, p: Persona) -> None:
        readable: set[str] = set()
        secret: dict[str, Secret] = {}
        for it in self.w.items.values():
            if it.extra.get("complete") is False:
                continue  # names records nobody could read back: neither a secret nor a target
            ok = self.m.can_read(p.user, it)
            for value, kind in it.secrets:
                v = value.lower()
                if ok:
                    readable.add(v)
                elif v not in secret:
                    secret[v] = Secret(value, kind, it.uid, it.kind, self.m.hidden(it))
        for uid, sid in self.w.owner_sessions.items():
            if uid != p.user.uid:
                secret[sid.lower()] = Secret(sid, "credential", f"session of {uid}", "session", True)
                digest = hashlib.sha256(sid.encode()).hexdigest()
                secret[digest] = Secret(digest, "credential", f"session of {uid} (its stored hash)", "session", True)
        allowed = written_forms(readable) | self.allowed_global
        if self.selectors_public:  # phones, e-mails, addresses as values, not as whose they are
            allowed |= {str(sel.get("caption") or "").lower() for sel in self.w.selectors.values()}
            secret = {k: v for k, v in secret.items() if v.kind != "selector"}
        readable_words = tokens_of(readable)

        def keep(k: str, sec: Secret) -> bool:
            if k in allowed or len(k) < MIN_SECRET or any(m in k for m in PROBE_MARKERS):
                return False
            # A one-word name the attacker reads as a word elsewhere (a family name in a business's name) tells nothing.
            return not (sec.kind == "name" and len(_words(k)) == 1 and _words(k)[0] in readable_words)

        p.secrets = {k: v for k, v in secret.items() if keep(k, v)}
        p.scanner = Scanner(p.secrets, allowed)

    def own_resources(self, p: Persona) -> None:
        """The attacker's own case, person, record and document, for the ids that stay in its own scope."""
        c = p.client
        p.own["me"] = p.user.uid
        cases = c.get("/cases", params={"page_size": 100}, phase="attack", op="GET /api/v1/cases", group="cases").data()
        for case in cases if isinstance(cases, list) else []:
            props = case.get("props") or {}
            if props.get("status") == "open" and (props.get("owner_uid") == p.user.uid
                                                  or p.user.uid in (props.get("team_uids") or [])):
                p.own["case"] = case["uid"]
                break
        r = c.post("/records/persons", {"given_name": "Probe", "family_name": f"Own{self.tag}"}, phase="attack",
                   op="POST /api/v1/records/persons", group="records")
        if r.status == 201:
            p.own["person"] = r.data()["uid"]
        if p.own.get("case"):
            r = c.post(f"/cases/{p.own['case']}/documents/evidence-items", {"title": "Probe evidence"}, phase="attack",
                       op="POST /api/v1/cases/{case_uid}/documents/evidence-items", group="documents")
            if r.status == 201:
                p.own["document"] = r.data()["uid"]
        for key in ("case", "person", "document"):
            p.own.setdefault(key, fake_like("case-001" if key == "case" else "0" * 32, self.rng, self.known_ids))
        p.own["record"] = p.own["person"]
        self.known_ids |= set(p.own.values())

    # --- slots: which targets fill which place in a request ------------------------------------------------

    def pool(self, p: Persona, slot: str) -> list[Target]:
        """The attacker's targets for one kind of slot, hidden ones and planted canaries first."""
        items = p.targets
        out: list[Target] = []

        def add(it: Item, values: dict, ids: tuple[str, ...]):
            out.append(Target(slot, values, it, self.m.hidden(it), ids))

        if slot == "case_number":
            for it in items:
                if it.kind == "case" and it.props.get("case_number"):
                    add(it, {"case_number": it.props["case_number"]}, ("case_number",))
        elif slot in ("case", "record", "document", "attachment", "hit", "item", "grant", "token", "notification",
                      "query", "comment", "session"):
            for it in items:
                if it.kind == slot or (slot == "record" and it.kind == "record"):
                    values = {slot: it.uid}
                    ids: tuple[str, ...] = (slot,)
                    if slot == "attachment":
                        values["document"] = it.extra.get("document")
                        ids = ("attachment", "document")
                    if slot == "case":
                        values["case_owner"] = it.owner_uid or p.user.uid
                        values["restricted"] = it.restricted
                    if slot == "record":
                        values["type"] = it.type_name or "Person"
                    add(it, values, ids)
        elif slot == "person":
            for it in items:
                if it.kind == "record" and it.type_name == "Person":
                    add(it, {"person": it.uid}, ("person",))
        elif slot == "username":
            for it in items:
                if it.kind == "token":
                    u = self.w.user_by_uid(it.private_to)
                    if u:
                        out.append(Target(slot, {"username": u.username}, None, False, ()))
        elif slot == "selector":
            mine = {i.uid for i in items}
            for suid, sel in self.w.selectors.items():
                if sel["users"] and sel["users"] <= mine:
                    out.append(Target(slot, {"selector": suid}, None, False, ()))
        elif slot == "link":
            mine = {i.uid for i in items}
            for link in self.w.links:
                if link["source"] in mine and link["target"] in mine:
                    it = self.w.items[link["source"]]
                    add(it, {"source": link["source"], "target": link["target"], "type": link["type"]},
                        ("source", "target"))
        elif slot == "callpair":
            for it in items:
                if it.kind == "callpair":
                    add(it, {"a": it.extra["a"], "b": it.extra["b"]}, ("a", "b"))
        elif slot == "text":
            seen: set[str] = set()
            for it in sorted(items, key=lambda i: (not i.planted, i.uid)):
                for value, kind in it.secrets:
                    if kind in ("name", "identifier", "case_number") and value.lower() in p.secrets \
                            and value.lower() not in seen and len(value) <= 100:
                        seen.add(value.lower())
                        out.append(Target(slot, {"text": value}, it, False, ()))
                        break
        elif slot.startswith("copy_"):
            type_name = slot[5:]
            for it in items:
                if it.kind == "record" and it.type_name == type_name and it.props:
                    body = {f: it.props[f] for f in COPY_FIELDS[type_name] if it.props.get(f) not in (None, "", [])}
                    if type_name == "Person" and isinstance(body.get("dob"), str) and not re.fullmatch(
                            r"\d{4}-\d{2}-\d{2}", body["dob"]):
                        body.pop("dob")
                    phones = [s["caption"] for s in it.extra.get("selectors", []) if s.get("type") == "Phone"]
                    if phones and type_name in ("Person", "Business"):
                        body["phones"] = phones[:2]
                    if body:
                        out.append(Target(slot, {"copy": body}, it, False, ()))
        # Hidden first (they also get a "missing" twin), planted canaries first among those; then a mix.
        out.sort(key=lambda tg: (not tg.hidden, not (tg.item and tg.item.planted), tg.item.uid if tg.item else
                                 json.dumps(tg.values, sort_keys=True, default=str)))
        if len(out) > 2:
            head, rest = out[:2], out[2:]
            self.rng.shuffle(rest)
            out = head + rest
        return out

    def missing_twin(self, tg: Target) -> Target:
        values = dict(tg.values)
        for key in tg.ids:
            if isinstance(values.get(key), str):
                values[key] = fake_like(values[key], self.rng, self.known_ids)
        if "restricted" in values:
            values["restricted"] = True
        return Target(tg.slot, values, None, False, tg.ids)

    # --- recipes -----------------------------------------------------------------------------------------

    def recipes(self, method: str, path: str, op: dict) -> list[dict]:
        """Request variants for one operation: slot, path params, query, json body, files, differential."""
        P = path.removeprefix(API)

        def v(slot=None, path_params=None, query=None, body=None, files=None, diff=True, special=None):
            return {"slot": slot, "path": path_params or {}, "query": query, "json": body, "files": files,
                    "diff": diff, "special": special}

        case_p = {"case_uid": "<case>"}
        key = f"{method} {P}"
        table: dict[str, list[dict]] = {
            "GET /auth/csrf": [v()],
            "GET /auth/banner": [v()],
            "POST /auth/session": [v(special="sign_in")],
            "DELETE /auth/session": [v(special="sign_out")],
            "GET /auth/me": [v()],
            "GET /auth/tokens": [v()],
            "POST /auth/tokens": [v(body={"name": "insider-probe", "expires_in_days": 1}, special="own_token")],
            "DELETE /auth/tokens/{token_uid}": [v("token", {"token_uid": "<token>"})],
            "GET /auth/sessions": [v()],
            "DELETE /auth/sessions/{session_uid}": [v("session", {"session_uid": "<session>"})],
            "POST /auth/sessions/end-others": [v(special="end_others")],
            "POST /auth/revocations": [v(special="revocations")],
            "POST /admin/users/{username}/role": [v(special="change_role")],
            "GET /cases": [v(query={"page_size": 100}), v(query={"status": "open", "sort": "case_number"})],
            "POST /cases": [v(body={"title": "Insider probe case", "violations": ["18 USC 545 (smuggling)"]})],
            "GET /cases/{case_uid}": [v("case", case_p), v("case_number", {"case_uid": "<case_number>"})],
            "POST /cases/{case_uid}/refer": [v("case", case_p, body={"referred_to": "USAO"})],
            "POST /cases/{case_uid}/close": [v("case", case_p, body={"reason": "no_new_information"}),
                                             v("case", case_p, body={"reason": "no_new_information",
                                                                     "roi_uid": str(uuid.uuid4())})],
            "POST /cases/{case_uid}/open": [v("case", case_p, body={"comment": "please open"}),
                                            v("case", case_p, body={"roi_uid": str(uuid.uuid4())})],
            "POST /cases/{case_uid}/reopen": [v("case", case_p, body={"comment": "new information arrived"})],
            "POST /cases/{case_uid}/combine": [
                v("case", case_p, body={"other_case_uid": "{case}"}),
                v("case", {"case_uid": "{case}"}, body={"other_case_uid": "<case>"})],
            "POST /cases/{case_uid}/review": [v("case", case_p, body={"note": "quarterly"})],
            "GET /cases/{case_uid}/grants": [v("case", case_p), v("case_number", {"case_uid": "<case_number>"})],
            "POST /cases/{case_uid}/grants": [v("case", case_p, body={"grantee_uid": "{me}", "reason": "joint work"})],
            "GET /cases/{case_uid}/disclosures": [v("case", case_p)],
            "POST /cases/{case_uid}/disclosures": [
                v("case", case_p, body=DISCLOSURE),
                v("record", {"case_uid": "{case}"}, body={**DISCLOSURE, "subject_uids": ["<record>"]})],
            "GET /cases/{case_uid}/disclosures.csv": [v("case", case_p)],
            "PUT /cases/{case_uid}/restricted": [v("case", case_p, body={"restricted": "<restricted>",
                                                                          "reason": "probe keeps it as it is"})],
            "POST /cases/{case_uid}/team/{member_uid}": [v("case", {"case_uid": "<case>", "member_uid": "<case_owner>"})],
            "DELETE /cases/{case_uid}/team/{member_uid}": [v("case", {"case_uid": "<case>", "member_uid": "{me}"})],
            "POST /cases/{case_uid}/telecom/cdr": [v("case", case_p, files={"file": ("calls.csv", CDR_CSV, "text/csv")})],
            "POST /cases/{case_uid}/telecom/subscribers": [
                v("case", case_p, files={"file": ("subs.csv", SUBSCRIBER_CSV, "text/csv")})],
            "GET /records/{record_uid}": [v("record", {"record_uid": "<record>"}),
                                          v("document", {"record_uid": "<document>"}),
                                          v("case", {"record_uid": "<case>"}),
                                          v("selector", {"record_uid": "<selector>"}, diff=False)],
            "PATCH /records/{record_uid}": [v("record", {"record_uid": "<record>"}, body="<patch>")],
            "DELETE /records/{record_uid}": [v("record", {"record_uid": "<record>"}, query={"reason": "entered twice"})],
            "POST /records/{record_uid}/resubmit": [v("record", {"record_uid": "<record>"}, body={})],
            "GET /records/{record_uid}/comments": [v("record", {"record_uid": "<record>"})],
            "POST /records/{record_uid}/comments": [v("record", {"record_uid": "<record>"},
                                                      body={"text": "seen at the port", "kind": "note"})],
            "POST /links": [
                v("person", body={"source_uid": "<person>", "target_uid": "{person}", "type": "ASSOCIATE_OF",
                                  "reason": "seen together"}),
                v("person", body={"source_uid": "{person}", "target_uid": "<person>", "type": "FAMILY_OF",
                                  "reason": "siblings"}),
                v("case", body={"source_uid": "{person}", "target_uid": "<case>", "type": "SUBJECT_IN",
                                "reason": "subject of the case"})],
            "POST /links/retire": [v("link", body={"source_uid": "<source>", "target_uid": "<target>",
                                                   "type": "<link_type>", "reason": "entered in error"})],
            "GET /documents/{document_uid}": [v("document", {"document_uid": "<document>"})],
            "PATCH /documents/{document_uid}": [v("document", {"document_uid": "<document>"},
                                                  body={"title": "Renamed by probe"})],
            "POST /documents/{document_uid}/submit": [v("document", {"document_uid": "<document>"}, body={})],
            "POST /documents/{document_uid}/attachments": [
                v("document", {"document_uid": "<document>"}, files={"file": ("probe.txt", b"probe", "text/plain")})],
            "GET /documents/{document_uid}/attachments/{attachment_uid}": [
                v("attachment", {"document_uid": "<document>", "attachment_uid": "<attachment>"})],
            "GET /search": [v("text", query={"text": "<text>"}, diff=False),
                            v("text", query={"text": "<text>", "types": "Person"}, diff=False)],
            "GET /graph/neighbours/{record_uid}": [v("record", {"record_uid": "<record>"}),
                                                   v("case", {"record_uid": "<case>"}),
                                                   v("selector", {"record_uid": "<selector>"}, diff=False)],
            "GET /graph/path": [v("record", query={"from": "<record>", "to": "{person}"}),
                                v("record", query={"from": "{person}", "to": "<record>", "max_hops": 8}),
                                v("selector", query={"from": "<selector>", "to": "{person}"}, diff=False)],
            "GET /queries": [v()],
            "POST /queries": [v(special="tricks")],
            "POST /queries/{name}/run": [v("query", {"name": "<query>"}, body={"params": {"case_uid": "{case}"}}),
                                         v(special="catalogue")],
            "GET /queries/{name}/run.csv": [v("query", {"name": "<query>"}, query={"case_uid": "{case}"}),
                                            v(special="catalogue_csv")],
            "POST /queries/{name}/versions/{version}/approve": [v("query", {"name": "<query>", "version": "1"})],
            "GET /approvals": [v()],
            "POST /approvals/{item_uid}/decision": [v("item", {"item_uid": "<item>"},
                                                      body={"decision": "returned", "comment": "more detail"})],
            "POST /grants/{grant_uid}/revoke": [v("grant", {"grant_uid": "<grant>"}, body={"reason": "no longer needed"})],
            "GET /notifications": [v(query={"limit": 100})],
            "GET /notifications/unread-count": [v()],
            "POST /notifications/read": [v("notification", body={"uids": ["<notification>"]})],
            "GET /audit": [v("record", query={"record": "<record>"}), v(query={"limit": 5})],
            "GET /audit/export.csv": [v("record", query={"record": "<record>"})],
            "POST /admin/offices": [v(special="admin_office")],
            "POST /admin/users": [v(special="admin_user")],
            "GET /admin/users/{username}/lock": [v("username", {"username": "<username>"}, diff=False)],
            "POST /admin/users/{username}/release-lockout": [v("username", {"username": "<username>"}, diff=False)],
            "GET /offices": [v()],
            "GET /deconfliction/hits": [v(), v("record", query={"record_uid": "<record>"})],
            "POST /deconfliction/hits/{hit_uid}/review": [v("hit", {"hit_uid": "<hit>"},
                                                             body={"decision": "dismissed", "reason": "different people"})],
            "GET /records/compare": [v("person", query={"a_uid": "<person>", "b_uid": "{person}"}),
                                     v("person", query={"a_uid": "{person}", "b_uid": "<person>"})],
            "POST /records/merge": [v("person", body={"master_uid": "{person}", "other_uid": "<person>",
                                                      "reason": "same individual"}),
                                    v("person", body={"master_uid": "<person>", "other_uid": "{person}",
                                                      "reason": "same individual"})],
            "POST /records/unmerge": [v("person", body={"other_uid": "<person>", "reason": "not the same"})],
        }
        for type_name, slug in ENTITY_SLUGS.items():
            table[f"POST /records/{slug}"] = [
                v("case", query={"case_uid": "<case>"}, body=MINIMAL[type_name]),
                v("case_number", query={"case_uid": "<case_number>"}, body=MINIMAL[type_name]),
                v(f"copy_{type_name}", body="<copy>", diff=False)]
            table[f"POST /deconfliction/{slug}/candidates"] = [v(f"copy_{type_name}", body="<copy>", diff=False)]
            line = json.dumps({**MINIMAL[type_name], "ref": "PROBE-1"}).encode() + b"\n"
            table[f"POST /imports/{slug}"] = [
                v("case", query={"case_uid": "<case>"}, files={"file": ("probe.jsonl", line, "application/x-ndjson")}),
                v(f"copy_{type_name}", files={"file": ("copy.jsonl", "<copy_jsonl>", "application/x-ndjson")},
                  diff=False)]
        for slug in DOCUMENT_SLUGS:
            table[f"POST /cases/{{case_uid}}/documents/{slug}"] = [v("case", case_p, body={"title": "Probe report"})]
        if key in table:
            return table[key]
        self.unrecipied.append(key)
        return self._generic(path, op)

    def _generic(self, path: str, op: dict) -> list[dict]:
        """A recipe built from the operation's own description, for an operation this probe does not know."""
        slots = {"case_uid": "case", "record_uid": "record", "document_uid": "document", "attachment_uid": "attachment",
                 "hit_uid": "hit", "item_uid": "item", "grant_uid": "grant", "token_uid": "token",
                 "username": "username", "name": "query"}
        slot, path_params, query = None, {}, {}
        for prm in op.get("parameters", []):
            name = prm.get("name")
            if prm.get("in") == "path":
                s = slots.get(name, "record")
                slot = slot or s
                path_params[name] = f"<{s}>" if s == slot else "x"
            elif prm.get("in") == "query" and prm.get("required"):
                s = slots.get(name)
                query[name] = f"<{s}>" if s and (slot in (None, s)) else "probe"
                slot = slot or s
        body = None
        content = (op.get("requestBody") or {}).get("content") or {}
        if "application/json" in content:
            body = self._example(content["application/json"].get("schema") or {})
        return [{"slot": slot, "path": path_params, "query": query or None, "json": body, "files": None,
                 "diff": slot is not None, "special": None}]

    def _example(self, schema: dict, depth: int = 0):
        if "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            schema = (self.spec.get("components", {}).get("schemas", {}) or {}).get(name, {})
        t = schema.get("type")
        if depth > 4:
            return None
        if "enum" in schema:
            return next((e for e in schema["enum"] if e is not None), None)
        if t == "object" or "properties" in schema:
            out = {}
            for name in schema.get("required", []):
                prop = (schema.get("properties") or {}).get(name, {})
                if name.endswith("_uid"):
                    out[name] = "<record>"
                else:
                    out[name] = self._example(prop, depth + 1)
            return out
        if t == "array":
            return []
        if t == "integer":
            return int(schema.get("minimum", 1))
        if t == "number":
            return float(schema.get("minimum", 1))
        if t == "boolean":
            return True
        if schema.get("format") == "date":
            return "2024-01-02"
        return "probe value"[: max(int(schema.get("maxLength", 50)), 1)].ljust(int(schema.get("minLength", 0)), "x")

    # --- filling and sending -----------------------------------------------------------------------------

    def fill(self, obj, tg: Target | None, p: Persona):
        if isinstance(obj, dict):
            return {k: self.fill(val, tg, p) for k, val in obj.items()}
        if isinstance(obj, list):
            return [self.fill(x, tg, p) for x in obj]
        if isinstance(obj, tuple):
            return tuple(self.fill(x, tg, p) for x in obj)
        if not isinstance(obj, str):
            return obj
        values = tg.values if tg else {}
        if obj == "<patch>":
            it = tg.item if tg else None
            return dict(PATCH.get(it.type_name if it and it.type_name in PATCH else "Person", PATCH["Person"]))
        if obj == "<copy>":
            return dict(values.get("copy") or {})
        if obj == "<copy_jsonl>":
            return (json.dumps({**(values.get("copy") or {}), "ref": "PROBE-COPY"}) + "\n").encode()
        if obj == "<link_type>":
            return values.get("type")
        m = re.fullmatch(r"<(\w+)>", obj)
        if m:
            key = m.group(1)
            if key == "case_owner":
                return values.get("case_owner") or p.user.uid
            return values.get(key, values.get(tg.slot) if tg else None)
        m = re.fullmatch(r"\{(\w+)\}", obj)
        if m:
            return p.own.get(m.group(1), obj)
        return obj

    def send(self, p: Persona, method: str, template: str, recipe: dict, tg: Target | None, group: str,
             op_key: str) -> Exchange:
        path_params = self.fill(recipe["path"], tg, p)
        path = template
        for k, val in path_params.items():
            path = path.replace("{" + k + "}", str(val if val is not None else "none"))
        query = self.fill(recipe["query"], tg, p) if recipe["query"] else None
        body = self.fill(recipe["json"], tg, p) if recipe["json"] is not None else None
        files = None
        if recipe["files"]:
            files = {}
            for name, (fname, data, ctype) in recipe["files"].items():
                files[name] = (fname, self.fill(data, tg, p) if isinstance(data, str) else data, ctype)
        ex = p.client.call(method, path, params=query, json_body=body, files=files, phase="attack", op=op_key,
                           group=group)
        self.coverage[(p.kind, group)] += 1
        sent = strings_in(path_params) | strings_in(query) | strings_in(body, numbers=True) | {path.lower()}
        if files:
            for fname, data, _ in files.values():
                sent |= strings_in(fname) | strings_in(data)
        if method in ("POST", "PUT", "PATCH") and 200 <= ex.status < 300:
            kept = strings_in(body, numbers=True)
            for _, data, _ in (files or {}).values():
                kept |= strings_in(data)
                if isinstance(data, bytes):  # an import file: each line's values
                    for line in data.decode("utf-8", "replace").splitlines():
                        try:
                            kept |= strings_in(json.loads(line), numbers=True)
                        except ValueError:
                            pass
            kept = {k for k in kept if k not in self.known_lower}
            self.stored[p.user.office] |= kept
            self.stored_tokens[p.user.office] |= tokens_of(kept)
        self.check(p, ex, sent)
        return ex

    # --- leak checks -----------------------------------------------------------------------------------

    def stored_for(self, p: Persona) -> tuple[set[str], set[str]]:
        """What attackers stored with successful writes that this attacker may read back (its offices')."""
        stored: set[str] = set()
        tokens: set[str] = set()
        for office in p.user.offices:
            stored |= self.stored.get(office, set())
            tokens |= self.stored_tokens.get(office, set())
        return stored, tokens

    def _locked_allowed(self, data) -> set[str]:
        """uids of locked placeholders whose record is unreadable but not hidden: existence is not secret."""
        out: set[str] = set()

        def walk(v):
            if isinstance(v, dict):
                if v.get("locked") is True:
                    for k in ("uid", "id"):
                        uid = v.get(k)
                        it = self.w.items.get(uid) if isinstance(uid, str) else None
                        if it is not None and not self.m.hidden(it):
                            out.add(uid.lower())
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(data)
        return out

    def check(self, p: Persona, ex: Exchange, sent: set[str]) -> None:
        if ex.status >= 500:
            self.leak("server-error", p, ex, f"{ex.status}: {_short(ex.text, 200)}")
        data = ex.data()
        # The request id is random hex by construction (or the caller's own): a 7-digit identifier turns up
        # inside one about once in a few thousand answers, and it carries nothing of the store.
        texts = [ex.text, "\n".join(f"{k}: {val}" for k, val in ex.headers.items() if k.lower() not in OPAQUE_HEADERS)]
        if data is not None:
            texts.append("\n".join(sorted(strings_in(data))))
        allowed = sent | self._locked_allowed(data)
        stored, tokens = self.stored_for(p)
        tokens = tokens | tokens_of(sent)
        assert p.scanner is not None
        found: dict[str, tuple[Secret, str]] = {}
        for text in texts:
            for sec, ctx in p.scanner.find(text, allowed, stored, tokens):
                found.setdefault(sec.value.lower(), (sec, ctx))
        by_kind: dict[str, list[tuple[Secret, str]]] = defaultdict(list)
        for sec, ctx in found.values():
            by_kind[sec.kind].append((sec, ctx))
        where = "csv" if "csv" in ex.ctype else ("error" if ex.status >= 400 else "body")
        for kind, hits in sorted(by_kind.items()):
            hits.sort(key=lambda h: (not h[0].hidden, h[0].item))
            sec, ctx = hits[0]
            more = f" (and {len(hits) - 1} more secrets of {len({h[0].item for h in hits})} items)" if len(hits) > 1 else ""
            self.leak(f"secret-{kind}", p, ex, f"[{where}] {kind} of {sec.item_kind} {sec.item} "
                      f"({'hidden' if sec.hidden else 'not readable'}): {sec.value!r} in ...{_short(ctx, 200)}...{more}",
                      item=sec.item, item_kind=sec.item_kind)
        for text in texts:
            m = PASSWORD_HASH.search(text)
            if m:
                self.leak("secret-credential", p, ex, f"a password hash: ...{_short(text[max(0, m.start() - 40):m.start() + 80], 200)}...")
                break

    def leak(self, cls: str, p: Persona, ex: Exchange, evidence: str, item: str | None = None,
             item_kind: str | None = None, twin: Exchange | None = None) -> None:
        self.leaks.append(Leak(cls=cls, persona=p.name, kind=p.kind, op=ex.op, request=ex.request_line(),
                               status=ex.status, evidence=evidence, item=item, item_kind=item_kind, exchange=ex.n,
                               twin=twin.request_line() if twin else None))

    def compare(self, p: Persona, cls: str, a: Exchange, b: Exchange, ids: list[str], what: str,
                item: Item | None) -> None:
        na, nb = normalise(a.text, ids), normalise(b.text, ids)
        if (a.status, a.ctype, na) != (b.status, b.ctype, nb):
            if a.status != b.status:
                detail = f"status {a.status} vs {b.status}"
            elif a.ctype != b.ctype:
                detail = f"content type {a.ctype} vs {b.ctype}"
            else:
                detail = "body " + _diff(na, nb)
            self.leak(cls, p, a, f"{what}: {detail}", item=item.uid if item else None,
                      item_kind=item.kind if item else None, twin=b)

    # --- the replay ----------------------------------------------------------------------------------------

    def load_spec(self, p: Persona) -> None:
        r = p.client.call("GET", f"{API}/openapi.json", phase="attack", op="GET /api/v1/openapi.json", group="auth")
        spec = r.data()
        if not isinstance(spec, dict) or "paths" not in spec:
            raise ProbeError(f"no OpenAPI document at {API}/openapi.json: {r.status}")
        self.spec = spec
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.ops.append((method.upper(), path, op))

    def run(self, max_rounds: int) -> None:
        self.choose_personas()
        if not self.personas:
            raise ProbeError("no attacker could be chosen")
        self.load_spec(self.personas[0])
        for p in self.personas:
            self.own_resources(p)
        variants: list[tuple[str, str, dict, str, str]] = []
        for method, path, op in self.ops:
            group = (op.get("tags") or [path.removeprefix(API).split("/")[1]])[0].lower().removeprefix("api_")
            for recipe in self.recipes(method, path, op):
                variants.append((method, path, recipe, group, f"{method} {path}"))
        # Every operation's plain variants first, then the scripted ones (query tricks, catalogue runs): a small
        # budget still reaches every operation. (Copies of hidden records that attackers store meanwhile are
        # left out of the guesses: see `tricks`.)
        variants.sort(key=lambda v: v[2]["special"] is not None)
        pools = {(p.name, i): (self.pool(p, v[2]["slot"]) if v[2]["slot"] else [])
                 for p in self.personas for i, v in enumerate(variants)}
        by_kind = {k: [p for p in self.personas if p.kind == k] for k in KINDS}
        passes = max(len(v) for v in by_kind.values())
        try:
            # Round r sends each variant's r-th target. Within a round, pass 0 gives every variant one attacker
            # of each kind (rotating which one), so a small budget still reaches every operation and kind.
            for rnd in range(max_rounds):
                progressed = False
                for pass_no in range(passes):
                    for i, (method, path, recipe, group, op_key) in enumerate(variants):
                        for kind in KINDS:
                            ps = by_kind[kind]
                            if pass_no >= len(ps):
                                continue
                            p = ps[(pass_no + i) % len(ps)]
                            progressed |= self.step(p, rnd, method, path, recipe, group, op_key, pools[(p.name, i)])
                if not progressed:
                    break
        except BudgetExhausted:
            pass

    def step(self, p: Persona, rnd: int, method: str, path: str, recipe: dict, group: str, op_key: str,
             pool: list[Target]) -> bool:
        """One attacker's `rnd`-th try at one request variant; False when it has nothing left to send."""
        if recipe["special"] or not recipe["slot"]:
            if rnd:
                return False
            if recipe["special"]:
                self.special(p, recipe["special"], method, path, group, op_key)
            else:
                self.send(p, method, path, recipe, None, group, op_key)
            return True
        if rnd >= len(pool):
            if rnd:
                return False
            # Nothing of that kind to aim at: the never-existing id alone still exercises the operation.
            fake = Target(recipe["slot"], {recipe["slot"]: fake_like("0" * 32, self.rng, self.known_ids)},
                          None, False, (recipe["slot"],))
            self.send(p, method, path, recipe, fake, group, op_key)
            return True
        tg = pool[rnd]
        a = self.send(p, method, path, recipe, tg, group, op_key)
        if recipe["diff"] and tg.hidden:
            twin = self.missing_twin(tg)
            b = self.send(p, method, path, recipe, twin, group, op_key)
            ids = [str(tg.values[k]) for k in tg.ids if tg.values.get(k)] + \
                  [str(twin.values[k]) for k in twin.ids if twin.values.get(k)]
            self.compare(p, "hidden-vs-missing", a, b, ids,
                         f"hidden {tg.item.kind if tg.item else tg.slot} vs a never-existing id", tg.item)
        return True

    # --- operations with a script of their own ------------------------------------------------------------

    def special(self, p: Persona, what: str, method: str, path: str, group: str, op_key: str) -> None:
        c = p.client
        if what == "sign_in":
            # A throwaway session signs in and out, so the attacker's own session stays usable.
            first = len(self.t.exchanges)
            throwaway = Client(self.t, p.user.username, self.password, persona=p.name, kind=p.kind)
            throwaway.sign_in(phase="attack")
            throwaway.call("DELETE", f"{API}/auth/session", phase="attack", op="DELETE /api/v1/auth/session")
            for ex in self.t.exchanges[first:]:
                ex.group = group
                self.coverage[(p.kind, group)] += 1
                self.check(p, ex, {self.password.lower(), p.user.username.lower()})
        elif what == "sign_out":
            pass  # done with the throwaway session above
        elif what == "end_others":
            # From a throwaway session, so only the attacker's own sessions end; they are all renewed after.
            first = len(self.t.exchanges)
            throwaway = Client(self.t, p.user.username, self.password, persona=p.name, kind=p.kind)
            throwaway.sign_in(phase="attack")
            throwaway.call("POST", path, phase="attack", op=op_key, group=group)
            for ex in self.t.exchanges[first:]:
                ex.group = group
                self.coverage[(p.kind, group)] += 1
                self.check(p, ex, {self.password.lower(), p.user.username.lower()})
            for c in self.t.clients:
                if c.username == p.user.username and c is not throwaway and c.signed_in:
                    c.sign_in(phase="attack" if c.kind != "owner" else "discover")
        elif what == "revocations":
            # Someone else's access, which only an administrator or a supervisor above may end: an owner this
            # attacker neither is nor supervises (an administrator gets a name nobody has).
            body = {"username": self._victim(p), "reason": "insider probe"}
            self.send(p, method, path, {"path": {}, "query": None, "json": body, "files": None}, None, group, op_key)
        elif what == "change_role":
            victim = self._victim(p)
            role = self.w.users[victim].role if victim in self.w.users else "agent"
            self.send(p, method, path, {"path": {"username": victim}, "query": None,
                                        "json": {"role": role, "reason": "insider probe keeps the role"},
                                        "files": None}, None, group, op_key)
        elif what == "own_token":
            ex = c.post("/auth/tokens", {"name": "insider-probe", "expires_in_days": 1}, phase="attack", op=op_key,
                        group=group)
            self.coverage[(p.kind, group)] += 1
            self.check(p, ex, strings_in(ex.data()))  # its own new token is the attacker's own
            tok = (ex.data() or {}).get("uid")
            if tok:
                p.own["token"] = tok
        elif what == "admin_office":
            body = ({"code": "MIA", "name": "Miami Field Office", "kind": "field_office"} if p.user.role == "admin"
                    else {"code": f"PRB-{self.tag[:6].upper()}", "name": "Probe office", "kind": "unit",
                          "parent_code": "MIA"})
            self.send(p, method, path, {"path": {}, "query": None, "json": body, "files": None}, None, group, op_key)
        elif what == "admin_user":
            body = {"username": "agent_garcia" if p.user.role == "admin" else f"probe_{self.tag[:8]}",
                    "name": "Probe User", "role": "agent", "office_code": "MIA", "password": "probe-password-2026"}
            self.send(p, method, path, {"path": {}, "query": None, "json": body, "files": None}, None, group, op_key)
        elif what == "catalogue":
            self.catalogue(p, group, csv=False)
        elif what == "catalogue_csv":
            self.catalogue(p, group, csv=True)
        elif what == "tricks":
            self.tricks(p, group)

    def _victim(self, p: Persona) -> str:
        """A user whose account the attacker has no say over (for an administrator: a name nobody has)."""
        if p.user.role == "admin":
            return fake_like("agent_nobody", self.rng, set(self.w.users))
        for name, u in sorted(self.w.users.items()):
            if u.uid != p.user.uid and u.uid not in p.user.subordinates and u.role in ("agent", "analyst"):
                return name
        return fake_like("agent_nobody", self.rng, set(self.w.users))

    def _run_query(self, p: Persona, name: str, params: dict, group: str, csv: bool = False) -> Exchange:
        if csv:
            return self.send(p, "GET", f"{API}/queries/{{name}}/run.csv",
                             {"path": {"name": name}, "query": params, "json": None, "files": None}, None, group,
                             "GET /api/v1/queries/{name}/run.csv")
        return self.send(p, "POST", f"{API}/queries/{{name}}/run",
                         {"path": {"name": name}, "query": None, "json": {"params": params}, "files": None}, None,
                         group, "POST /api/v1/queries/{name}/run")

    def catalogue(self, p: Persona, group: str, csv: bool) -> None:
        """Every catalogue query, with hidden ids in its uid parameters and planted numbers in its phones."""
        cases = [t for t in self.pool(p, "case")][:3]
        records = [t for t in self.pool(p, "record")][:3]
        pairs = self.pool(p, "callpair")[:2]
        for name, params in sorted(self.w.catalogue.items()):
            names = {prm.get("name"): prm.get("type") for prm in params if isinstance(prm, dict)}
            if "case_uid" in names:
                for tg in cases:
                    a = self._run_query(p, name, {"case_uid": tg.values["case"]}, group, csv)
                    if tg.hidden:
                        twin = self.missing_twin(tg)
                        b = self._run_query(p, name, {"case_uid": twin.values["case"]}, group, csv)
                        self.compare(p, "hidden-vs-missing", a, b, [tg.values["case"], twin.values["case"]],
                                     f"{name} on a hidden case vs a never-existing one", tg.item)
            elif "from_uid" in names:
                for tg in records:
                    a = self._run_query(p, name, {"from_uid": tg.values["record"], "to_uid": p.own["person"]}, group, csv)
                    if tg.hidden:
                        twin = self.missing_twin(tg)
                        b = self._run_query(p, name, {"from_uid": twin.values["record"], "to_uid": p.own["person"]},
                                            group, csv)
                        self.compare(p, "hidden-vs-missing", a, b, [tg.values["record"], twin.values["record"]],
                                     f"{name} from a hidden record vs a never-existing one", tg.item)
            elif "phone_a" in names:
                for tg in pairs:
                    a = self._run_query(p, name, {"phone_a": tg.values["a"], "phone_b": tg.values["b"]}, group, csv)
                    twin = self.missing_twin(tg)
                    b = self._run_query(p, name, {"phone_a": twin.values["a"], "phone_b": twin.values["b"]}, group, csv)
                    self.compare(p, "hidden-vs-missing", a, b, [tg.values["a"], tg.values["b"], twin.values["a"],
                                                               twin.values["b"]],
                                 f"{name} between numbers only a hidden case's call records hold vs unknown numbers",
                                 tg.item)
            elif not [n for n, prm in ((prm.get("name"), prm) for prm in params if isinstance(prm, dict))
                      if prm.get("required")]:
                self._run_query(p, name, {}, group, csv)

    # --- analyst-authored queries -----------------------------------------------------------------------------

    def tricks(self, p: Persona, group: str) -> None:
        """Save and run queries an insider would write to get round the policy placeholders."""
        persons = [t for t in self.pool(p, "person") if t.hidden][:2] or self.pool(p, "person")[:1]
        cases = [t for t in self.pool(p, "case") if t.hidden][:1]
        owners = sorted({self.w.user_by_uid(t.item.owner_uid).username for t in persons + cases
                         if t.item and self.w.user_by_uid(t.item.owner_uid)})[:2] or ["agent_chen"]
        owner_uids = [self.w.users[o].uid for o in owners if o in self.w.users]
        _, stored = self.stored_for(p)  # values an attacker of these offices already holds as its own
        canary_names = sorted({t.item.props.get("family_name") for t in persons
                               if t.item and t.item.planted and t.item.props.get("family_name")})
        exclusive = [n for n in canary_names if n.lower() in p.secrets and n.lower() not in stored][:1]
        header = "// description: insider probe\n// result: table\n// roles: agent, analyst, supervisor, auditor, admin\n"
        tricks = {
            "err_name": ("// param: target | uid | required\n",
                         "MATCH (n:Person {uid: $target})\nWITH n, date(n.given_name + 'x') AS d\n"
                         "MATCH (c:Case) WHERE {{case_readable c}}\nRETURN c LIMIT 1"),
            "err_family": ("// param: target | uid | required\n",
                           "MATCH (n {uid: $target})\nWHERE date(n.family_name + 'x') IS NOT NULL AND {{readable n}}\n"
                           "RETURN n"),
            "err_case": ("// param: target | uid | required\n",
                         "MATCH (k:Case {uid: $target})\nWITH k, date(k.case_number + 'x') AS d\n"
                         "MATCH (c:Case) WHERE {{case_readable c}}\nRETURN c LIMIT 1"),
            "pw_hash": ("// param: who | string | required\n",
                        "MATCH (u) WHERE u.username = $who AND {{readable u}}\nRETURN date(u.password_hash) AS d"),
            "session": ("// param: who | string | required\n",
                        "MATCH (s) WHERE s.user_uid = $who AND s.sid IS NOT NULL AND {{readable s}}\n"
                        "WITH s ORDER BY s.created_at DESC LIMIT 1\nRETURN date(s.sid) AS d"),
            "token": ("// param: who | string | required\n",
                      "MATCH (t) WHERE t.user_uid = $who AND t.token_hash IS NOT NULL AND {{readable t}}\n"
                      "WITH t LIMIT 1\nRETURN date(t.token_hash) AS d"),
            "identifiers": ("", "MATCH (i:Identifier) WHERE {{readable i}}\nRETURN i"),
            "phones": ("", "MATCH (p:Phone) WHERE {{readable p}}\nRETURN p"),
            "emails": ("", "MATCH (e:Email) WHERE {{readable e}}\nRETURN e"),
            "by_ssn": ("// param: key | string | required\n",
                       "MATCH (i:Identifier {key: $key})<-[:HAS_IDENTIFIER]-(n:Person)\nWHERE {{readable i}}\n"
                       "RETURN i, n"),
            "guess_uid": ("// param: target | uid | required\n// param: guess | string | required\n",
                          "MATCH (n:Person {uid: $target}) WHERE n.family_name = $guess\n"
                          "MATCH (c:Case) WHERE {{case_readable c}}\nRETURN c LIMIT 1"),
            "guess_count": ("// param: guess | string | required\n",
                            "MATCH (n) WHERE n.family_name = $guess AND ({{readable n}} OR true)\nRETURN n"),
        }
        saved: dict[str, str] = {}
        for k, (params, body) in tricks.items():
            name = f"probe_{self.tag}_{p.user.username}_{k}".lower()[:63]
            name = re.sub(r"[^a-z0-9_]", "_", name)
            text = f"// name: {name}\n{header}{params}{body}"
            ex = self.send(p, "POST", f"{API}/queries", {"path": {}, "query": None,
                                                          "json": {"name": name, "text": text}, "files": None},
                           None, group, "POST /api/v1/queries")
            saved[k] = name
            if ex.status not in (200, 201) and p.user.role != "admin":
                p.note += f" [trick {k} refused at save: {ex.status}]"

        def pair(k: str, right: dict, wrong: dict, ids: list[str], what: str, item: Item | None, csv: bool = False,
                 cls: str = "boolean-oracle"):
            a = self._run_query(p, saved[k], right, group, csv)
            b = self._run_query(p, saved[k], wrong, group, csv)
            self.compare(p, cls, a, b, ids, what, item)

        for tg in persons:
            uid = tg.values["person"]
            fake = fake_like(uid, self.rng, self.known_ids)
            for k in ("err_name", "err_family"):
                pair(k, {"target": uid}, {"target": fake}, [uid, fake],
                     f"{k} on a hidden person vs a never-existing uid", tg.item, cls="hidden-vs-missing")
            self._run_query(p, saved["err_name"], {"target": uid}, group, csv=True)
            family = tg.item.props.get("family_name") if tg.item else None
            if family:
                pair("guess_uid", {"target": uid, "guess": family}, {"target": uid, "guess": family + "qx"},
                     [family, family + "qx"], "the family name of a hidden person guessed right vs wrong", tg.item)
            ssn = tg.item.props.get("ssn") if tg.item else None
            if ssn and _compact(ssn) not in stored:
                key = "ssn:" + re.sub(r"\D", "", ssn)
                wrong = "ssn:" + fake_like(re.sub(r"\D", "", ssn), self.rng, set())
                pair("by_ssn", {"key": key}, {"key": wrong}, [key, wrong], "a hidden person's SSN vs an unknown one",
                     tg.item)
        for tg in cases:
            uid = tg.values["case"]
            fake = fake_like(uid, self.rng, self.known_ids)
            pair("err_case", {"target": uid}, {"target": fake}, [uid, fake],
                 "err_case on a hidden case vs a never-existing uid", tg.item, cls="hidden-vs-missing")
        for name in exclusive:
            pair("guess_count", {"guess": name}, {"guess": name + "qx"}, [name, name + "qx"],
                 "a family name held only by hidden persons vs one held by nobody", None)
        for who in owners:
            self._run_query(p, saved["pw_hash"], {"who": who}, group)
        for uid in owner_uids:
            self._run_query(p, saved["session"], {"who": uid}, group)
            self._run_query(p, saved["token"], {"who": uid}, group)
        for k in ("identifiers", "phones", "emails"):
            self._run_query(p, saved[k], {}, group)
        self._run_query(p, saved["identifiers"], {}, group, csv=True)


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def report(t: Transport, d: Discovery, a: Attack, out=sys.stdout) -> dict:
    attack = [e for e in t.exchanges if e.phase == "attack"]
    per_kind = Counter(e.kind for e in attack)
    groups = sorted({e.group for e in attack})
    table = {g: Counter(e.kind for e in attack if e.group == g) for g in groups}
    ops_run = {e.op for e in attack}
    spec_ops = {f"{m} {path}" for m, path, _ in a.ops}
    missing_ops = sorted(spec_ops - ops_run)

    def pr(line: str = "") -> None:
        print(line, file=out)

    pr("== Insider probe")
    pr(f"server requests: {len(t.exchanges)} ({t.counts['discover']} discovery as the owners, "
       f"{t.counts['attack']} as attackers) in {time.monotonic() - t.started:.0f} s")
    items = Counter(i.kind for i in a.w.items.values())
    pr("discovered: " + ", ".join(f"{n} {k}" for k, n in sorted(items.items())) +
       f"; {len(a.w.selectors)} selectors, {len(a.w.links)} links; planted "
       f"{sum(1 for i in a.w.items.values() if i.planted)} canaries")
    for note in d.log:
        pr(f"  note: {note}")
    if t.relogins:
        pr("  note: sessions signed in again after something ended them: "
           + ", ".join(f"{u} x{n}" for u, n in sorted(t.relogins.items())))
    pr("selectors (phones, e-mails, addresses): " + ("readable by every reader (--selectors-public)"
                                                    if a.selectors_public else "as secret as the records using them"))
    pr()
    pr("attackers:")
    for p in a.personas:
        hidden = sum(1 for i in p.targets if a.m.hidden(i))
        pr(f"  {p.name:38} {len(p.targets):4} unreadable targets ({hidden} hidden), {len(p.secrets):5} secrets "
           f"{p.note}")
    for s in a.skipped:
        pr(f"  note: {s}")
    pr()
    width = max([len(g) for g in groups] + [12])
    pr(f"{'requests':{width}} " + " ".join(f"{k:>21}" for k in KINDS) + f" {'total':>7}")
    for g in groups:
        pr(f"{g:{width}} " + " ".join(f"{table[g][k]:21d}" for k in KINDS) + f" {sum(table[g].values()):7d}")
    pr(f"{'total':{width}} " + " ".join(f"{per_kind[k]:21d}" for k in KINDS) + f" {sum(per_kind.values()):7d}")
    pr(f"operations in the OpenAPI document: {len(spec_ops)}; replayed: {len(spec_ops & ops_run)}"
       + (f"; not reached: {', '.join(missing_ops)}" if missing_ops else ""))
    if a.unrecipied:
        pr(f"operations without a recipe (a body built from their schema was sent): {', '.join(sorted(set(a.unrecipied)))}")
    pr()
    distinct: dict[tuple, list[Leak]] = defaultdict(list)
    for lk in a.leaks:
        key = (lk.cls, lk.kind, lk.op, lk.item_kind, lk.evidence.split(":")[0] if lk.cls.startswith("secret") else
               lk.evidence[:60])
        distinct[key].append(lk)
    by_class = Counter(lk.cls for lk in a.leaks)
    by_class_distinct = Counter(k[0] for k in distinct)
    pr("leaks by class:" + ("" if a.leaks else " none"))
    for cls, n in sorted(by_class.items()):
        kinds = Counter(lk.kind for lk in a.leaks if lk.cls == cls)
        pr(f"  {cls:22} {n:5} responses, {by_class_distinct[cls]:4} distinct  ("
           + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")")
    if a.leaks:
        pr()
        pr("each distinct leak (class | attacker | operation | count), with the first request that produced it:")
        for _key, leaks in sorted(distinct.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
            first = leaks[0]
            pr(f"- {first.cls} | {first.persona} | {first.op} | x{len(leaks)}")
            pr(f"    request: {first.request}  -> {first.status}")
            if first.twin:
                pr(f"    twin:    {first.twin}")
            pr(f"    {first.evidence}")
    return {
        "requests": {"total": len(t.exchanges), "discovery": t.counts["discover"], "attack": t.counts["attack"],
                     "per_kind": dict(per_kind), "per_group": {g: dict(table[g]) for g in groups}},
        "operations": {"in_spec": len(spec_ops), "replayed": len(spec_ops & ops_run), "not_reached": missing_ops,
                       "without_recipe": sorted(set(a.unrecipied))},
        "attackers": [{"persona": p.name, "kind": p.kind, "targets": len(p.targets), "secrets": len(p.secrets),
                       "note": p.note} for p in a.personas],
        "notes": d.log + a.skipped + [f"{u} signed in again x{n}" for u, n in sorted(t.relogins.items())],
        "selectors_public": a.selectors_public,
        "leaks_by_class": dict(by_class),
        "leaks": [lk.__dict__ for lk in a.leaks],
    }


def cleanup(d: Discovery, a: Attack | None) -> None:
    """Revoke the tokens the probe made (owners' and attackers'); everything else the probe wrote stays."""
    for user_uid, tok in d.w.owner_tokens.items():
        u = d.w.user_by_uid(user_uid)
        if u and u.username in d.clients:
            try:
                d.clients[u.username].call("DELETE", f"{API}/auth/tokens/{tok['uid']}", phase="cleanup")
            except BudgetExhausted:
                return
    for p in a.personas if a else []:
        if p.own.get("token"):
            try:
                p.client.call("DELETE", f"{API}/auth/tokens/{p.own['token']}", phase="cleanup")
            except BudgetExhausted:
                return


def probe(backend, *, max_requests: int, max_discovery: int, max_seconds: float, seed: int, password: str,
          users: dict | None = None, plant: bool = True, max_rounds: int = 12, verbose: bool = False,
          selectors_public: bool = False, out=sys.stdout) -> tuple[dict, Attack]:
    """Discover, model, replay, report; returns the JSON summary and the attack (for tests)."""
    rng = random.Random(seed)
    tag = f"{seed}{rng.randrange(16 ** 5):05x}"
    transport = Transport(backend, max_requests, max_discovery, max_seconds, verbose)
    world = World()
    disc = Discovery(transport, world, password, users or SANDBOX_USERS, rng, plant, tag)
    try:
        disc.run()
    except BudgetExhausted:
        disc.note(f"discovery stopped at its budget ({max_discovery} requests or the time limit)")
    model = Model(world)
    attack = Attack(transport, world, model, password, rng, tag, disc, selectors_public)
    try:
        attack.run(max_rounds)
    finally:
        transport.max_discovery += 200  # room for cleanup
        cleanup(disc, attack)
    summary = report(transport, disc, attack, out)
    return summary, attack


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("base_url", help="e.g. http://127.0.0.1:8015 (loopback only)")
    p.add_argument("--max-requests", type=int, default=4000, help="attacker requests at most (default 4000)")
    p.add_argument("--max-discovery", type=int, default=3000, help="discovery requests at most (default 3000)")
    p.add_argument("--max-seconds", type=float, default=1800, help="wall-clock limit for the whole run")
    p.add_argument("--max-rounds", type=int, default=12, help="targets per operation variant and attacker, at most")
    p.add_argument("--seed", type=int, default=13, help="random seed: canaries, target order, never-existing ids")
    p.add_argument("--password", default=os.environ.get("CCMS_SANDBOX_PASSWORD", DEFAULT_PASSWORD))
    p.add_argument("--json-out", help="write the summary, every leak and its request here")
    p.add_argument("--no-plant", action="store_true", help="do not plant canaries as the owners")
    p.add_argument("--selectors-public", action="store_true",
                   help="treat phone numbers, e-mail addresses and street addresses as readable by every reader "
                        "(policy/scopes.py's wording); by default a selector is as secret as the records using "
                        "it (ENGINEERING.md, queries/guard.py)")
    p.add_argument("--verbose", action="store_true", help="print every request to stderr")
    args = p.parse_args(argv)
    try:
        base = require_loopback(args.base_url)
        summary, _ = probe(RequestsBackend(base), max_requests=args.max_requests, max_discovery=args.max_discovery,
                           max_seconds=args.max_seconds, seed=args.seed, password=args.password,
                           plant=not args.no_plant, max_rounds=args.max_rounds, verbose=args.verbose,
                           selectors_public=args.selectors_public)
    except (ProbeError, requests.RequestException) as exc:
        print(f"insider probe cannot run: {exc}", file=sys.stderr)
        return 2
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as fh:
            json.dump(summary, fh, indent=1, default=str)
    return 1 if summary["leaks"] else 0


if __name__ == "__main__":
    sys.exit(main())
