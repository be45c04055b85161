"""A stateful walk of the JSON API: every operation through the states of what it acts on, never a 5xx.

`ApiWalk`, a hypothesis `RuleBasedStateMachine`, drives the real app (bearer tokens; cookie sessions
with CSRF for agent_b's session rules) through:
- cases: request open -> approve -> refer / close -> reopen, combine (each action from every state);
- approvals: decide, decide again;
- Reports of Investigation: draft -> submit -> return / approve -> edit, submit, attach (after approval too);
- access grants: request (again while pending or active) -> approve -> revoke, revoke again;
- Subject Records: create, update with the current or a stale version, decide, delete, delete again;
- links: link, link again (from the other end), unlink, unlink again, link after retiring;
- agent_b's sessions and tokens: sign in, create a token, use, revoke, revoke again, end a session,
  end it again, end the others, sign out, a supervisor's revocation of all of them, and an outsider's
  attempt, which must be refused.

The machine keeps its own model of each object's state, written from the documented lifecycles and not
from the code, and predicts every answer: 2xx where the lifecycle allows the step, 409 problem details
where the state forbids it (the class of bug that answered 500), 404 or 401 where the object is gone.
Every answer is below 500 and every error is RFC 9457 problem details.

Two tests drive it. `test_the_tour_...` walks a fixed route through every (operation, state) pair in
`REQUIRED`, so the states the issue named are always reached. `test_random_walks_...` lets hypothesis
interleave the rules (derandomized, a bounded number of examples and steps, no shrinking): each example
starts from a small `seed` walked through the API, and each rule picks, three times in four, an object
in a state it has not met yet in the example.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ccms_graph.logic.people import sessions as sessions_logic
from tests.api.conftest import Api, token_for
from tests.factories import PASSWORD

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}

#: The case lifecycle: action -> (states it starts from, state after approval).
CASE_ACTIONS = {
    "open": ({"requested"}, "open"),
    "refer": ({"open"}, "referred"),
    "close": ({"open", "referred"}, "closed"),
    "reopen": ({"closed"}, "open"),
    "combine": ({"open", "referred"}, None),  # the other case ends `combined`; this one keeps its state
}
CASE_BODIES = {"open": {}, "refer": {"referred_to": "USAO"}, "close": {"reason": "no_new_information"},
               "reopen": {"comment": "new information arrived"}}
#: States in which a case may be absorbed by a combination, and in which it takes new documents.
COMBINABLE = {"requested", "open", "referred"}
TAKES_DOCUMENTS = {"requested", "open", "referred"}
#: States in which the author may still edit, submit or attach to a Report of Investigation.
ROI_EDITABLE = {"draft", "returned"}
#: Live tokens a user may hold at once.
MAX_TOKENS = 20
GRANTEES = (("grantee_office", "NYC"), ("grantee_uid", "agent_nyc"))

#: (operation, state) pairs the tour must reach: the conflicts the issue named, and the way to each.
REQUIRED = {
    ("case.open", "requested"), ("case.refer", "open"), ("case.close", "referred"), ("case.reopen", "closed"),
    ("case.reopen", "open"), ("case.combine", "open"), ("case.refer", "closed"), ("case.open", "combined"),
    ("decide", "pending"), ("decide", "decided"),
    ("roi.create", "open"), ("roi.create", "closed"), ("roi.submit", "draft"), ("roi.edit", "approved"),
    ("roi.submit", "approved"), ("roi.attach", "approved"), ("roi.edit", "returned"), ("roi.attach", "draft"),
    ("roi.edit", "submitted"), ("roi.edit", "stale"),
    ("grant.request", "none"), ("grant.request", "pending"), ("grant.request", "active"),
    ("grant.revoke", "active"), ("grant.revoke", "revoked"), ("grant.revoke", "pending"),
    ("record.update", "current"), ("record.update", "stale"), ("record.update", "deleted"),
    ("record.decide", "pending"), ("record.decide", "decided"), ("record.delete", "live"),
    ("record.delete", "deleted"),
    ("link", "none"), ("link", "active"), ("link", "retired"), ("unlink", "active"), ("unlink", "retired"),
    ("token.create", "live"), ("token.revoke", "live"), ("token.revoke", "revoked"), ("token.use", "revoked"),
    ("session.end", "live"), ("session.end", "ended"), ("session.use", "ended"), ("session.end_others", "live"),
    ("session.sign_out", "live"), ("session.sign_out", "ended"), ("token.create", "ended"),
    ("access.revoke", "supervisor"), ("access.revoke", "outsider"),
}

#: What the walks reached, over every example of a run.
SEEN: Counter = Counter()


@dataclass
class Request:
    kind: str  # "case", "roi" or "grant"
    target: str
    action: str | None = None
    other: str | None = None
    status: str = "pending"
    roi: str | None = None  # the ROI submitted with an open or close request, decided with it


@dataclass
class Roi:
    status: str = "draft"
    version: int = 1


@dataclass
class Grant:
    case: str
    grantee: tuple[str, str]
    status: str = "pending"


@dataclass
class Record:
    version: int = 1
    approval: str = "pending"
    deleted: bool = False


@dataclass
class Session:
    client: Any
    uid: str
    live: bool = True


@dataclass
class Token:
    uid: str
    secret: str
    live: bool = True


@dataclass
class World:
    """What every example shares: the app and a token client per acting user (made once, outside the walk)."""

    app: Any
    graph: Any
    org: Any
    agent: Api  # agent_a: owns the cases, records and documents
    supervisor: Api  # sup_mia: decides agent_a's requests; supervises agent_b
    outsider: Api  # analyst_mia: supervises no one
    counter: list = field(default_factory=lambda: [0])


def _stale(version: int) -> int:
    """A version that is not the current one: the one before it, or (for version 1) the next."""
    return version - 1 if version > 1 else version + 1


class ApiWalk(RuleBasedStateMachine):
    def __init__(self, world: World):
        super().__init__()
        self.w = world
        self.cases: dict[str, str] = {}
        self.busy: dict[str, str] = {}  # case uid -> the pending case request that involves it
        self.requests: dict[str, Request] = {}
        self.rois: dict[str, Roi] = {}
        self.grants: dict[str, Grant] = {}
        self.records: dict[str, Record] = {}
        self.links: dict[frozenset, bool] = {}  # the pair of records -> whether the link is active
        self.links_made: dict[frozenset, tuple[str, str]] = {}  # -> (source, target) as first drawn
        self.sessions: list[Session] = []
        self.tokens: list[Token] = []
        self.seen: set[tuple[str, str]] = set()  # (operation, state) pairs this example has met

    # -- helpers ---------------------------------------------------------------------------------

    def _n(self) -> int:
        self.w.counter[0] += 1
        return self.w.counter[0]

    def check(self, op: str, state: str, r, want) -> dict:
        """Record the step, then: below 500, problem details for any error, and the predicted status."""
        SEEN[(op, state)] += 1
        self.seen.add((op, state))
        where = (f"{op} in state {state}: {r.request.method} {r.request.path} -> {r.status_code} "
                 f"{r.get_data(as_text=True)[:300]}")
        assert r.status_code < 500, where
        body = r.get_json(silent=True) if r.mimetype.endswith("json") else None
        if r.status_code >= 400:
            assert r.mimetype == "application/problem+json", where
            assert PROBLEM_KEYS <= set(body) and body["status"] == r.status_code, where
            if r.status_code == 409:
                assert body["title"] == "Conflict", where
        wanted = want if isinstance(want, tuple) else (want,)
        assert r.status_code in wanted, f"expected {wanted}: {where}"
        return body or {}

    def pick(self, data, items: Sequence, op: str, state_of: Callable[[Any], str], label: str):
        """One of `items`: three times in four, one in a state `op` has not met yet in this example (if any).

        What is drawn depends only on this example's own steps (never on other examples; items are in the
        order they were made, never sorted by their random uids), so hypothesis can replay an example."""
        fresh = [i for i in items if (op, state_of(i)) not in self.seen]
        prefer_fresh = data.draw(st.integers(0, 3), label=f"{label}: fresh?") > 0
        return data.draw(st.sampled_from(fresh if fresh and prefer_fresh else list(items)), label=label)

    def _csrf(self, client) -> dict:
        return {"X-CSRFToken": client.get("/api/v1/auth/csrf").get_json()["csrf_token"]}

    def _live_sessions(self) -> list[Session]:
        return [s for s in self.sessions if s.live]

    def _live_tokens(self) -> list[Token]:
        return [t for t in self.tokens if t.live]

    # =============================================================================================
    # Operations: one API call each, its predicted answer, and the model's new state
    # =============================================================================================

    # -- cases -----------------------------------------------------------------------------------

    def create_case_(self) -> str:
        r = self.w.agent.post("cases", json={"title": f"Walk case {self._n()}"})
        uid = self.check("case.create", "none", r, 201)["uid"]
        self.cases[uid] = "requested"
        return uid

    def case_action_(self, case: str, action: str, other: str | None = None) -> str | None:
        state = self.cases[case]
        body = dict(CASE_BODIES.get(action, {}))
        if other:
            body["other_case_uid"] = other
        roi = self.create_roi_(case) if action in ("open", "close") and state in TAKES_DOCUMENTS else None
        if roi:  # opening and closing are documented in an ROI the supervisor approves with the request
            body["roi_uid"] = roi
        r = self.w.agent.post(f"cases/{case}/{action}", json=body)
        allowed, _ = CASE_ACTIONS[action]
        if other == case:
            want = 422
        elif state not in allowed or (other and self.cases[other] not in COMBINABLE):
            want = 409
        elif case in self.busy or (other and other in self.busy):
            want = 409  # one pending case request at a time, for either case of a combination
        else:
            want = 201
        out = self.check(f"case.{action}", state, r, want)
        if want == 409 and state not in allowed:
            assert out["current_status"] == state
        if want != 201:
            return None
        self.requests[out["uid"]] = Request("case", case, action, other, roi=roi)
        if roi:
            self.rois[roi].status = "submitted"
        self.busy[case] = out["uid"]
        if other:
            self.busy[other] = out["uid"]
        return out["uid"]

    # -- approvals -------------------------------------------------------------------------------

    def _decide(self, uid: str, decision: str):
        body = {"decision": decision, "comment": "see the notes" if decision == "returned" else None}
        return self.w.supervisor.post(f"approvals/{uid}/decision", json=body)

    def decide_(self, uid: str | None, decision: str = "approved") -> None:
        assert uid is not None, "the step before was to file this request"
        req = self.requests[uid]
        if req.status != "pending":
            body = self.check("decide", "decided", self._decide(uid, decision), 409)
            assert body["current_status"] == req.status
            return
        self.check("decide", "pending", self._decide(uid, decision), 200)
        req.status = decision
        if req.kind == "case":
            if req.roi:
                self.rois[req.roi].status = decision
            for case in (req.target, req.other):
                if case:
                    self.busy.pop(case, None)
            if decision == "approved" and req.action == "combine":
                self.cases[req.other] = "combined"
            elif decision == "approved":
                self.cases[req.target] = CASE_ACTIONS[req.action][1]
        elif req.kind == "roi":
            self.rois[req.target].status = decision
        else:
            self.grants[req.target].status = "active" if decision == "approved" else "returned"

    # -- Reports of Investigation ----------------------------------------------------------------

    def create_roi_(self, case: str) -> str | None:
        state = self.cases[case]
        r = self.w.agent.post(f"cases/{case}/documents/reports-of-investigation",
                              json={"title": f"ROI {self._n()}", "narrative": "What we found."})
        out = self.check("roi.create", state, r, 201 if state in TAKES_DOCUMENTS else 409)
        if state not in TAKES_DOCUMENTS:
            return None
        self.rois[out["uid"]] = Roi()
        return out["uid"]

    def edit_roi_(self, uid: str | None, stale: bool = False) -> None:
        assert uid is not None
        roi = self.rois[uid]
        r = self.w.agent.patch(f"documents/{uid}", json={"title": f"ROI revised {self._n()}",
                                                         "version": _stale(roi.version) if stale else roi.version})
        editable = roi.status in ROI_EDITABLE
        body = self.check("roi.edit", "stale" if stale and editable else roi.status, r,
                          200 if editable and not stale else 409)
        if not editable:
            assert body["current_status"] == roi.status
        elif stale:
            assert body["current_version"] == roi.version
        else:
            roi.status, roi.version = "draft", roi.version + 1

    def submit_roi_(self, uid: str | None) -> str | None:
        assert uid is not None
        roi = self.rois[uid]
        r = self.w.agent.post(f"documents/{uid}/submit", json={"comment": "ready"})
        out = self.check("roi.submit", roi.status, r, 201 if roi.status in ROI_EDITABLE else 409)
        if roi.status not in ROI_EDITABLE:
            return None
        roi.status = "submitted"
        self.requests[out["uid"]] = Request("roi", uid)
        return out["uid"]

    def attach_(self, uid: str | None) -> None:
        assert uid is not None
        roi = self.rois[uid]
        upload = {"file": (io.BytesIO(b"%PDF-1.4 exhibit " + str(self._n()).encode()), "exhibit.pdf",
                           "application/pdf")}
        r = self.w.agent.post(f"documents/{uid}/attachments", data=upload)
        self.check("roi.attach", roi.status, r, 201 if roi.status in ROI_EDITABLE else 409)

    # -- access grants ---------------------------------------------------------------------------

    def _held(self, case: str, grantee: tuple[str, str]) -> Grant | None:
        return next((g for g in self.grants.values() if g.case == case and g.grantee == grantee
                     and g.status in ("pending", "active")), None)

    def request_grant_(self, case: str, grantee: tuple[str, str]) -> str | None:
        """Ask to share a case; the answer's grant uid is kept, and the request's uid returned."""
        value = grantee[1] if grantee[0] == "grantee_office" else getattr(self.w.org, grantee[1]).uid
        held = self._held(case, grantee)
        r = self.w.agent.post(f"cases/{case}/grants", json={grantee[0]: value, "reason": "joint work"})
        out = self.check("grant.request", held.status if held else "none", r, 409 if held else 201)
        if held:
            return None
        self.grants[out["uid"]] = Grant(case, grantee)
        self.requests[out["request_uid"]] = Request("grant", out["uid"])
        return out["request_uid"]

    def revoke_grant_(self, uid: str) -> None:
        grant = self.grants[uid]
        r = self.w.agent.post(f"grants/{uid}/revoke", json={"reason": "the joint work ended"})
        body = self.check("grant.revoke", grant.status, r, 200 if grant.status == "active" else 409)
        if grant.status == "active":
            grant.status = "revoked"
        else:
            assert body["current_status"] == grant.status

    def _grant_of(self, request_uid: str | None) -> str:
        assert request_uid is not None
        return self.requests[request_uid].target

    # -- Subject Records and links ---------------------------------------------------------------

    def create_record_(self) -> str:
        r = self.w.agent.post("records/persons", json={"given_name": "Walker", "family_name": f"Number{self._n()}"})
        uid = self.check("record.create", "none", r, 201)["uid"]
        self.records[uid] = Record()
        return uid

    def update_record_(self, uid: str, stale: bool = False) -> None:
        rec = self.records[uid]
        r = self.w.agent.patch(f"records/{uid}", json={"middle_name": f"M{self._n()}",
                                                       "version": _stale(rec.version) if stale else rec.version})
        state = "deleted" if rec.deleted else ("stale" if stale else "current")
        body = self.check("record.update", state, r, {"deleted": 404, "stale": 409, "current": 200}[state])
        if state == "stale":
            assert body["current_version"] == rec.version
        if state == "current":
            rec.version += 1
            if rec.approval == "approved":  # an approved record that changes waits for approval again
                rec.approval = "pending"

    def _record_state(self, uid: str, op: str) -> str:
        rec = self.records[uid]
        if rec.deleted:
            return "deleted"
        if op == "record.decide":
            return "pending" if rec.approval == "pending" else "decided"
        return "live"

    def decide_record_(self, uid: str, decision: str = "approved") -> None:
        state = self._record_state(uid, "record.decide")
        self.check("record.decide", state, self._decide(uid, decision),
                   {"deleted": 404, "pending": 200, "decided": 409}[state])
        if state == "pending":
            self.records[uid].approval = decision

    def delete_record_(self, uid: str) -> None:
        rec = self.records[uid]
        r = self.w.agent.delete(f"records/{uid}", query_string={"reason": "entered in error"})
        self.check("record.delete", "deleted" if rec.deleted else "live", r, 404 if rec.deleted else 200)
        rec.deleted = True
        for pair in self.links:
            if uid in pair:
                self.links[pair] = False  # deleting a record retires its links

    def _link_state(self, pair: frozenset) -> str:
        if any(self.records[u].deleted for u in pair):
            return "deleted"
        return {True: "active", False: "retired", None: "none"}[self.links.get(pair)]

    def link_(self, a: str, b: str) -> None:
        pair = frozenset((a, b))
        state = self._link_state(pair)
        r = self.w.agent.post("links", json={"source_uid": a, "target_uid": b, "type": "ASSOCIATE_OF",
                                             "reason": "seen together"})
        self.check("link", state, r, {"deleted": 404, "active": 409, "none": 201, "retired": 201}[state])
        if state in ("none", "retired"):
            self.links[pair] = True
            self.links_made.setdefault(pair, (a, b))

    def unlink_(self, pair: frozenset) -> None:
        a, b = self.links_made[pair]
        state = self._link_state(pair)
        # Named from the other end: ASSOCIATE_OF is undirected.
        r = self.w.agent.post("links/retire", json={"source_uid": b, "target_uid": a, "type": "ASSOCIATE_OF",
                                                    "reason": "not together after all"})
        self.check("unlink", state, r, 200 if state == "active" else (404, 409))
        self.links[pair] = False

    # -- agent_b's sessions and tokens -----------------------------------------------------------

    def sign_in_(self) -> Session:
        client = self.w.app.test_client()
        r = client.post("/api/v1/auth/session", headers=self._csrf(client),
                        json={"username": "agent_b", "password": PASSWORD, "acknowledge": True})
        self.check("session.sign_in", "none", r, 201)
        mine = client.get("/api/v1/auth/sessions").get_json()
        assert len(mine) == len(self._live_sessions()) + 1
        self.sessions.append(Session(client, next(s["uid"] for s in mine if s["current"])))
        return self.sessions[-1]

    def use_session_(self, s: Session) -> None:
        self.check("session.use", "live" if s.live else "ended", s.client.get("/api/v1/auth/me"),
                   200 if s.live else 401)

    def create_token_(self, s: Session) -> Token | None:
        r = s.client.post("/api/v1/auth/tokens", json={"name": f"script {self._n()}"}, headers=self._csrf(s.client))
        want = 401 if not s.live else (409 if len(self._live_tokens()) >= MAX_TOKENS else 201)
        out = self.check("token.create", "live" if s.live else "ended", r, want)
        if want != 201:
            return None
        self.tokens.append(Token(out["uid"], out["token"]))
        return self.tokens[-1]

    def use_token_(self, t: Token) -> None:
        r = Api(self.w.app.test_client(), t.secret).get("auth/me")
        self.check("token.use", "live" if t.live else "revoked", r, 200 if t.live else 401)

    def revoke_token_(self, s: Session, t: Token) -> None:
        assert s.live
        r = s.client.delete(f"/api/v1/auth/tokens/{t.uid}", headers=self._csrf(s.client))
        body = self.check("token.revoke", "live" if t.live else "revoked", r, 200 if t.live else 409)
        if t.live:
            assert body["revoked_at"]
            t.live = False
            assert Api(self.w.app.test_client(), t.secret).get("auth/me").status_code == 401  # at once

    def end_session_(self, by: Session, target: Session) -> None:
        assert by.live
        r = by.client.delete(f"/api/v1/auth/sessions/{target.uid}", headers=self._csrf(by.client))
        self.check("session.end", "live" if target.live else "ended", r, 200 if target.live else 409)
        if target.live:
            target.live = False
            assert target.client.get("/api/v1/auth/me").status_code == 401  # on its very next request

    def end_others_(self, s: Session) -> None:
        r = s.client.post("/api/v1/auth/sessions/end-others", headers=self._csrf(s.client))
        out = self.check("session.end_others", "live" if s.live else "ended", r, 200 if s.live else 401)
        if s.live:
            others = [o for o in self._live_sessions() if o is not s]
            assert out["sessions_ended"] == len(others)
            for o in others:
                o.live = False

    def sign_out_(self, s: Session) -> None:
        r = s.client.delete("/api/v1/auth/session", headers=self._csrf(s.client))
        self.check("session.sign_out", "live" if s.live else "ended", r, 204 if s.live else 401)
        s.live = False

    def supervisor_revokes_(self) -> None:
        r = self.w.supervisor.post("auth/revocations", json={"username": "agent_b", "reason": "laptop lost"})
        out = self.check("access.revoke", "supervisor", r, 200)
        assert (out["sessions_ended"], out["tokens_revoked"]) == (len(self._live_sessions()), len(self._live_tokens()))
        for item in (*self.sessions, *self.tokens):
            item.live = False

    def outsider_revokes_(self) -> None:
        r = self.w.outsider.post("auth/revocations", json={"username": "agent_a", "reason": "mischief"})
        self.check("access.revoke", "outsider", r, 403)

    # =============================================================================================
    # The fixed tour: every (operation, state) in REQUIRED, in an order that reaches each state
    # =============================================================================================

    def tour(self) -> None:
        case = self.create_case_()
        self.decide_(self.case_action_(case, "open"))
        self.case_action_(case, "reopen")  # reopening an open case: 409
        roi = self.create_roi_(case)
        self.attach_(roi)
        approved = self.submit_roi_(roi)
        self.edit_roi_(roi)  # submitted: read-only, 409
        self.decide_(approved)
        self.decide_(approved, "returned")  # deciding a decided approval: 409
        self.edit_roi_(roi)  # approved: editing, submitting, attaching are 409
        self.submit_roi_(roi)
        self.attach_(roi)
        returned = self.create_roi_(case)
        self.decide_(self.submit_roi_(returned), "returned")
        self.edit_roi_(returned, stale=True)  # a stale version: 409
        self.edit_roi_(returned)  # returned: back to a draft
        grant = self.request_grant_(case, GRANTEES[0])
        self.revoke_grant_(self._grant_of(grant))  # pending: not revocable, 409
        self.request_grant_(case, GRANTEES[0])  # while pending: 409
        self.decide_(grant)
        self.request_grant_(case, GRANTEES[0])  # while active: 409
        self.revoke_grant_(self._grant_of(grant))
        self.revoke_grant_(self._grant_of(grant))  # revoking a revoked grant: 409
        self.decide_(self.case_action_(case, "refer"))
        self.decide_(self.case_action_(case, "close"))
        self.create_roi_(case)  # a closed case takes no documents: 409
        self.case_action_(case, "refer")  # 409
        self.decide_(self.case_action_(case, "reopen"))
        absorbed = self.create_case_()
        self.decide_(self.case_action_(case, "combine", absorbed))
        self.case_action_(absorbed, "open")  # a combined case: 409

        one, two, gone = self.create_record_(), self.create_record_(), self.create_record_()
        self.update_record_(one)
        self.update_record_(one, stale=True)
        self.decide_record_(one)
        self.decide_record_(one, "returned")  # 409
        self.link_(one, two)
        self.link_(two, one)  # the same undirected link: 409
        self.unlink_(frozenset((one, two)))
        self.unlink_(frozenset((one, two)))  # no longer active
        self.link_(one, two)  # a retired link may be drawn again
        self.delete_record_(gone)
        self.delete_record_(gone)  # 404
        self.update_record_(gone)  # 404

        laptop, phone, tablet = self.sign_in_(), self.sign_in_(), self.sign_in_()
        token = self.create_token_(laptop)
        assert token is not None
        self.revoke_token_(phone, token)
        self.revoke_token_(phone, token)  # 409
        self.use_token_(token)  # 401
        self.end_session_(laptop, phone)
        self.end_session_(laptop, phone)  # 409
        self.use_session_(phone)  # 401
        self.create_token_(phone)  # 401
        self.end_others_(laptop)
        self.sign_out_(laptop)
        self.sign_out_(tablet)  # ended by end-others: 401
        self.sign_in_()
        self.create_token_(self.sign_in_())
        self.supervisor_revokes_()
        self.outsider_revokes_()

    # =============================================================================================
    # Rules: the same operations, on objects hypothesis picks, in the order it chooses
    # =============================================================================================

    @initialize()
    def seed(self):
        """An open case with an approved, a returned and a draft ROI, an active and a pending grant; a closed
        case; a requested case; two linked records; agent_b signed in with a token."""
        case = self.create_case_()
        self.decide_(self.case_action_(case, "open"))
        self.decide_(self.submit_roi_(self.create_roi_(case)))
        self.decide_(self.submit_roi_(self.create_roi_(case)), "returned")
        self.create_roi_(case)
        self.decide_(self.request_grant_(case, GRANTEES[0]))
        self.request_grant_(case, GRANTEES[1])
        closed = self.create_case_()
        self.decide_(self.case_action_(closed, "open"))
        self.decide_(self.case_action_(closed, "close"))
        self.create_case_()
        self.link_(self.create_record_(), self.create_record_())
        self.create_token_(self.sign_in_())

    @rule()
    def create_case(self):
        self.create_case_()

    def _request(self, data, action: str) -> None:
        case = self.pick(data, list(self.cases), f"case.{action}", self.cases.get, "case")
        other = None
        if action == "combine":
            free = [c for c in self.cases if c != case and self.cases[c] in COMBINABLE and c not in self.busy]
            other = data.draw(st.sampled_from(free + list(self.cases)), label="other case")
        self.case_action_(case, action, other)

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def request_open(self, data):
        self._request(data, "open")

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def request_refer(self, data):
        self._request(data, "refer")

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def request_close(self, data):
        self._request(data, "close")

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def request_reopen(self, data):
        self._request(data, "reopen")

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def request_combine(self, data):
        self._request(data, "combine")

    @precondition(lambda self: self.requests)
    @rule(data=st.data(), decision=st.sampled_from(["approved", "approved", "returned"]), twice=st.booleans())
    def decide(self, data, decision, twice):
        uid = self.pick(data, list(self.requests), "decide",
                        lambda u: "pending" if self.requests[u].status == "pending" else "decided", "request")
        self.decide_(uid, decision)
        if twice:  # a second decision at once, as a double click or a retrying client sends it
            self.decide_(uid, data.draw(st.sampled_from(["approved", "returned"]), label="second decision"))

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def create_roi(self, data):
        self.create_roi_(self.pick(data, list(self.cases), "roi.create", self.cases.get, "case"))

    def _roi(self, data, op: str) -> str:
        return self.pick(data, list(self.rois), op, lambda u: self.rois[u].status, "roi")

    @precondition(lambda self: self.rois)
    @rule(data=st.data(), stale=st.booleans())
    def edit_roi(self, data, stale):
        self.edit_roi_(self._roi(data, "roi.edit"), stale)

    @precondition(lambda self: self.rois)
    @rule(data=st.data())
    def submit_roi(self, data):
        self.submit_roi_(self._roi(data, "roi.submit"))

    @precondition(lambda self: self.rois)
    @rule(data=st.data())
    def attach_to_roi(self, data):
        self.attach_(self._roi(data, "roi.attach"))

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def request_grant(self, data):
        pairs = [(c, g) for c in self.cases for g in GRANTEES]
        held = self._held
        case, grantee = self.pick(data, pairs, "grant.request",
                                  lambda p: held(*p).status if held(*p) else "none", "case, grantee")
        self.request_grant_(case, grantee)

    @precondition(lambda self: self.grants)
    @rule(data=st.data(), twice=st.booleans())
    def revoke_grant(self, data, twice):
        uid = self.pick(data, list(self.grants), "grant.revoke", lambda u: self.grants[u].status, "grant")
        for _ in range(1 + twice):
            self.revoke_grant_(uid)

    @rule()
    def create_record(self):
        self.create_record_()

    def _record(self, data, op: str) -> str:
        return self.pick(data, list(self.records), op, lambda u: self._record_state(u, op), "record")

    @precondition(lambda self: self.records)
    @rule(data=st.data(), stale=st.booleans())
    def update_record(self, data, stale):
        self.update_record_(self._record(data, "record.update"), stale)

    @precondition(lambda self: self.records)
    @rule(data=st.data(), decision=st.sampled_from(["approved", "returned"]))
    def decide_record(self, data, decision):
        self.decide_record_(self._record(data, "record.decide"), decision)

    @precondition(lambda self: self.records)
    @rule(data=st.data(), twice=st.booleans())
    def delete_record(self, data, twice):
        uid = self._record(data, "record.delete")
        for _ in range(1 + twice):
            self.delete_record_(uid)

    @precondition(lambda self: len(self.records) >= 2)
    @rule(data=st.data(), twice=st.booleans())
    def link(self, data, twice):
        made = list(self.records)
        pairs = [(a, b) for i, a in enumerate(made) for b in made[i + 1:]]
        a, b = self.pick(data, pairs, "link", lambda p: self._link_state(frozenset(p)), "pair")
        self.link_(a, b)
        if twice:
            self.link_(b, a)  # the same undirected link, drawn from the other end

    @precondition(lambda self: self.links)
    @rule(data=st.data(), twice=st.booleans())
    def unlink(self, data, twice):
        pair = self.pick(data, list(self.links), "unlink", self._link_state, "link")
        for _ in range(1 + twice):
            self.unlink_(pair)

    def _session(self, data, op: str, label: str = "session") -> Session:
        return self.pick(data, self.sessions, op, lambda s: "live" if s.live else "ended", label)

    @rule()
    def sign_in(self):
        self.sign_in_()

    @precondition(lambda self: self.sessions)
    @rule(data=st.data())
    def use_session(self, data):
        self.use_session_(self._session(data, "session.use"))

    @precondition(lambda self: self.sessions)
    @rule(data=st.data())
    def create_token(self, data):
        self.create_token_(self._session(data, "token.create"))

    @precondition(lambda self: self.tokens)
    @rule(data=st.data())
    def use_token(self, data):
        self.use_token_(self.pick(data, self.tokens, "token.use", lambda t: "live" if t.live else "revoked", "token"))

    @precondition(lambda self: self.tokens and self._live_sessions())
    @rule(data=st.data(), twice=st.booleans())
    def revoke_token(self, data, twice):
        s = data.draw(st.sampled_from(self._live_sessions()), label="session")
        t = self.pick(data, self.tokens, "token.revoke", lambda t: "live" if t.live else "revoked", "token")
        for _ in range(1 + twice):
            self.revoke_token_(s, t)

    @precondition(lambda self: self._live_sessions())
    @rule(data=st.data(), twice=st.booleans())
    def end_session(self, data, twice):
        by = data.draw(st.sampled_from(self._live_sessions()), label="by")
        target = self._session(data, "session.end", "target")
        for _ in range(1 + (twice and by is not target)):  # a session that ended itself asks nothing more
            self.end_session_(by, target)

    @precondition(lambda self: self.sessions)
    @rule(data=st.data())
    def end_other_sessions(self, data):
        self.end_others_(self._session(data, "session.end_others"))

    @precondition(lambda self: self.sessions)
    @rule(data=st.data())
    def sign_out(self, data):
        self.sign_out_(self._session(data, "session.sign_out"))

    @rule()
    def supervisor_revokes_all_access(self):
        self.supervisor_revokes_()

    @rule()
    def outsider_tries_to_revoke_the_agents_access(self):
        self.outsider_revokes_()

    def teardown(self):
        # The next example starts with agent_b signed in nowhere and holding no token.
        sessions_logic.revoke_access(self.w.graph, self.w.org.admin, {"username": "agent_b", "reason": "next example"})


@pytest.fixture
def world(app, graph, org):
    def api(who):
        return Api(app.test_client(), token_for(graph, who))

    return World(app, graph, org, api(org.agent_a), api(org.sup_mia), api(org.analyst_mia))


def test_the_tour_reaches_every_named_state_and_each_conflict_is_409(world):
    SEEN.clear()
    walk = ApiWalk(world)
    walk.tour()
    walk.teardown()
    missing = sorted(REQUIRED - walk.seen)
    assert not missing, f"the tour never reached {missing}"


def test_random_walks_answer_below_500_and_as_the_model_predicts(world):
    SEEN.clear()
    run_state_machine_as_test(lambda: ApiWalk(world), settings=settings(
        max_examples=8, stateful_step_count=40, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its steps, in bounded time
        suppress_health_check=list(HealthCheck)))
    # The walks went beyond the seed: most of the tour's states, and more (the model checked each step).
    reached = REQUIRED & set(SEEN)
    assert len(reached) >= len(REQUIRED) * 3 // 4, f"the walks reached only {sorted(reached)}"
    assert len(set(SEEN)) > len(REQUIRED), sorted(SEEN)
