"""Parse saved-query files (header block + Cypher body) and have the guard print the body with the policy in.

A query file is `//` header lines, then the Cypher body::

    // name: shared_phones
    // description: Phones used by subjects of two or more different cases.
    // result: table                        (table | graph)
    // roles: agent, analyst, supervisor, auditor
    // param: min_cases | int | 2 | min=2 max=20
    // param: case_uid | uid | required
    // max_rows: 500                        (optional; capped by runner.MAX_ROWS)
    // timeout: 20                          (optional, seconds; capped by runner.MAX_TIMEOUT)
    // ---                                  (optional: ends the header; comments below are notes)
    MATCH (p:Phone)<-[:USES_PHONE]-(s:SubjectRecord)-[:SUBJECT_IN]->(c:Case) ...

A `param` line is `name | type | default | validation`: the default `required` means the caller must
give it, `null` means it may be left out. Types and validations are listed in `params`.

The body is written as if the database held only what the user may read: `guard` recognizes it (a
read-only subset of Neo4j 5 Cypher), refuses anything outside that subset, and prints the query that
runs, with the access policy (`policy.scopes`) composed into every pattern. See `guard` for what is
refused and why. The body may use the policy parameters (`$me`, `$offices`, ...) and its own declared
parameters, and nothing else. The planner's verdict (`explain`, at start-up and when a query is saved)
and the read-only transaction the runner uses stand behind the guard, enforced by Neo4j itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import neo4j

from ..db import Graph
from ..nodes.vocabulary import ROLES
from ..policy.actor import SYSTEM
from ..policy.rules import actor_params
from ..settings import CYPHER_DIR
from .guard import GuardError, guard
from .params import TYPES, check_rules, parse_default

#: Where the shared catalogue lives.
QUERY_DIR = CYPHER_DIR / "queries"

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
RESULT_KINDS = ("table", "graph")
#: Parameters the policy predicates use; a query may read them but never declare them.
POLICY_PARAMS = frozenset({"me", "subordinates", "offices", "granted", "auditor", "reader", "writer"})

_HEADER_KEYS = ("name", "description", "result", "roles", "param", "max_rows", "timeout")


class QueryFileError(ValueError):
    """A query file (or saved query text) that cannot be used, with the query's name in the message."""

    def __init__(self, name: str, message: str):
        super().__init__(f"query {name!r}: {message}")
        self.name = name
        self.message = message


class CatalogueError(ValueError):
    """One or more catalogue files are malformed; `errors` lists each by name."""

    def __init__(self, errors: list[QueryFileError]):
        super().__init__("malformed query files:\n" + "\n".join(f"  {e}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str
    required: bool
    default: object = None
    #: Validation rules as written in the header, e.g. {"min": "1", "max": "10"}.
    rules: tuple[tuple[str, str], ...] = ()
    description: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "required": self.required, "default": self.default,
                "validation": dict(self.rules)}


@dataclass(frozen=True)
class QueryDef:
    name: str
    description: str
    kind: str
    roles: tuple[str, ...]
    params: tuple[ParamSpec, ...]
    #: The body as written, and as run: printed by the guard with the access policy composed in.
    body: str
    cypher: str
    text: str
    max_rows: int | None = None
    timeout: float | None = None
    source: str = "catalogue"
    path: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

def _param(name: str, line: str) -> ParamSpec:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) < 3 or len(parts) > 4:
        raise QueryFileError(name, f"param line {line!r}: write 'name | type | default | validation'")
    pname, ptype, default = parts[:3]
    rules_text = parts[3] if len(parts) == 4 else ""
    if not re.match(r"^[a-z][a-z0-9_]{0,40}$", pname):
        raise QueryFileError(name, f"parameter name {pname!r}: use lower_case letters, digits and _")
    if pname in POLICY_PARAMS:
        raise QueryFileError(name, f"parameter {pname!r} is reserved for the access policy")
    if ptype not in TYPES:
        raise QueryFileError(name, f"parameter {pname!r}: unknown type {ptype!r}; use {', '.join(TYPES)}")
    rules = []
    for token in rules_text.split():
        key, sep, setting = token.partition("=")
        if not sep:
            raise QueryFileError(name, f"parameter {pname!r}: validation {token!r} must be key=value")
        rules.append((key, setting))
    try:
        check_rules(ptype, dict(rules))
    except ValueError as exc:
        raise QueryFileError(name, f"parameter {pname!r}: {exc}") from None
    required = default == "required"
    value = None
    if not required and default != "null":
        try:
            value = parse_default(ptype, default, dict(rules))
        except ValueError as exc:
            raise QueryFileError(name, f"parameter {pname!r}: default {default!r}: {exc}") from None
    return ParamSpec(pname, ptype, required, value, tuple(rules))


def parse(name: str, text: str, *, source: str = "catalogue", path: str | None = None) -> QueryDef:
    """Parse and check one query's text; `name` is what the caller calls it (the file stem)."""
    header: dict[str, list[str]] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines) and (lines[i].lstrip().startswith("//") or not lines[i].strip()):
        raw = lines[i].strip()
        i += 1
        if not raw:
            continue
        content = raw[2:].strip()
        if content.startswith("---"):
            break  # the end of the header: later comment lines are notes on the body
        if not content:
            continue
        key, sep, value = content.partition(":")
        key = key.strip().lower()
        if not sep or key not in _HEADER_KEYS:
            raise QueryFileError(name, f"header line {raw!r}: expected one of "
                                       f"{', '.join(k + ':' for k in _HEADER_KEYS)}")
        header.setdefault(key, []).append(value.strip())
    body = "\n".join(lines[i:]).strip().rstrip(";").strip()
    for key in ("name", "description", "result", "roles"):
        if key not in header:
            raise QueryFileError(name, f"the header has no {key}:")
        if len(header[key]) > 1:
            raise QueryFileError(name, f"the header gives {key}: more than once")
    if header["name"][0] != name:
        raise QueryFileError(name, f"the header's name {header['name'][0]!r} differs from the query's "
                                   f"name {name!r}")
    if not NAME_RE.match(name):
        raise QueryFileError(name, "a query name is 2-63 lower_case letters, digits and _")
    kind = header["result"][0]
    if kind not in RESULT_KINDS:
        raise QueryFileError(name, f"result must be table or graph, not {kind!r}")
    roles = tuple(r.strip() for r in header["roles"][0].split(",") if r.strip())
    bad = [r for r in roles if r not in ROLES]
    if not roles or bad:
        raise QueryFileError(name, f"roles: unknown {', '.join(bad) or '(none given)'}; use {', '.join(ROLES)}")
    params = tuple(_param(name, line) for line in header.get("param", []))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise QueryFileError(name, "a parameter is declared twice")
    limits = {}
    for key, conv in (("max_rows", int), ("timeout", float)):
        if key in header:
            try:
                limits[key] = conv(header[key][0])
                assert limits[key] > 0
            except (ValueError, AssertionError):
                raise QueryFileError(name, f"{key} must be a positive number") from None
    if not body:
        raise QueryFileError(name, "the query has no Cypher body")
    try:
        guarded = guard(body, {p.name: p.type for p in params}, allow_requests=source == "catalogue")
    except GuardError as exc:
        raise QueryFileError(name, str(exc)) from None
    cypher = guarded.cypher
    undeclared = sorted(guarded.params - set(names) - POLICY_PARAMS)
    if undeclared:
        raise QueryFileError(name, f"undeclared parameter(s): {', '.join('$' + u for u in undeclared)}")
    return QueryDef(name=name, description=header["description"][0], kind=kind, roles=roles, params=params,
                    body=body, cypher=cypher, text=text, max_rows=int(limits["max_rows"]) if "max_rows" in limits else None,
                    timeout=limits.get("timeout"), source=source, path=path)


def load_directory(directory: Path = QUERY_DIR) -> dict[str, QueryDef]:
    """Parse every `*.cypher` file in `directory`; CatalogueError names every malformed file at once."""
    queries: dict[str, QueryDef] = {}
    errors: list[QueryFileError] = []
    for path in sorted(Path(directory).glob("*.cypher")):
        try:
            queries[path.stem] = parse(path.stem, path.read_text(encoding="utf-8"), path=str(path))
        except QueryFileError as exc:
            errors.append(exc)
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(QueryFileError(path.stem, f"cannot read {path.name}: {exc}"))
    if errors:
        raise CatalogueError(errors)
    return queries


@cache
def catalogue_queries() -> dict[str, QueryDef]:
    """The shared catalogue, parsed once per process (call at start-up to fail fast on a bad file)."""
    return load_directory(QUERY_DIR)


def reload() -> dict[str, QueryDef]:
    """Forget the parsed catalogue and parse it again."""
    catalogue_queries.cache_clear()
    return catalogue_queries()


# ---------------------------------------------------------------------------------------------
# Checks that need the server: syntax and the planner's own verdict on writes
# ---------------------------------------------------------------------------------------------

def explain(graph: Graph, qdef: QueryDef) -> None:
    """EXPLAIN the query in a read transaction; QueryFileError if it does not compile or would write.

    The planner's `query_type` catches a write the static check missed ('w', 'rw' or schema 's').
    """
    params = {**actor_params(SYSTEM), **{p.name: p.default for p in qdef.params}}

    def work(tx):
        result = tx.run("EXPLAIN " + qdef.cypher, params)
        return result.consume().query_type

    try:
        with graph.driver.session(database=graph.database, default_access_mode=neo4j.READ_ACCESS) as session:
            query_type = session.execute_read(work)
    except neo4j.exceptions.ClientError as exc:
        raise QueryFileError(qdef.name, f"Cypher does not compile: {exc.message}") from None
    if query_type != "r":
        raise QueryFileError(qdef.name, f"the planner classes this query as {query_type!r}, not read-only")


# The catalogue each server and database passed, so a process that builds several apps over one
# server (the test suite; a worker's app) EXPLAINs it once. The server is its address, whatever the
# scheme (bolt:// and a routing neo4j:// URI to one server are one); a reload that parses the same
# queries is the same catalogue, and one whose files changed is checked anew.
_passed: dict[tuple[str, str], dict[str, QueryDef]] = {}


def check_catalogue(graph: Graph) -> dict[str, QueryDef]:
    """Start-up check: parse every file and EXPLAIN each against the server; CatalogueError lists failures."""
    queries = catalogue_queries()
    where = (urlsplit(graph.settings.bolt_uri).netloc, graph.database)
    if _passed.get(where) == queries:
        return queries
    errors = []
    for qdef in queries.values():
        try:
            explain(graph, qdef)
        except QueryFileError as exc:
            errors.append(exc)
    if errors:
        raise CatalogueError(errors)
    _passed[where] = queries
    return queries
