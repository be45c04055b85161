"""The guard: a strict recognizer of a read-only subset of Neo4j 5 Cypher that re-prints a saved query
with the access policy composed into every pattern, so a hidden record never matches at all.

Why our own recognizer. The parsers on PyPI were tried on the catalogue (`cypher/queries/*.cypher`)
and on attack queries, and refused: `cypher-guard` 3.0.0 parsed none of the 13 catalogue files (not
even a leading `//` comment or `CALL () { }`), rejected `date(x.given_name + 'x')`, and prints debug
traces to stdout on every call; `antlr4-cypher` 0.1.2 (the openCypher 9 grammar) parsed none either:
it knows no `EXISTS { }`, `COUNT { }`, `CALL () { }`, `SHORTEST`, quantified path patterns, nor `=~`,
and took 100-300 ms a query. A parser that reads less than Neo4j 5 would force analysts back into
workarounds; one that reads *more* than we check would be worse. So this module recognizes a small,
explicit subset and refuses everything else with a message that names the construct (never data).

Construction, not inspection. The parser does not approve the analyst's text and then run it: it
*prints* a new query from what it recognized, fully parenthesized, so the server runs exactly the
structure that was checked. While printing:

* Every node a pattern introduces must carry a label of the vocabulary (`nodes.vocabulary`: record
  types, `SubjectRecord`, `Document`, `Case`, the selector types, `Linkable`); anonymous nodes get a
  generated variable. Its scope predicate is composed into the clause that matches it:

      Case            policy.scopes.case_readable
      Subject Record  policy.scopes.subject_readable
      Document        policy.scopes.document_readable
      selector        selector_readable (below): readable only through a live, readable record
                      that uses it (USES_PHONE, RESIDES_AT, MENTIONS, HAS_IDENTIFIER, ...)
      Linkable        the one of the above its labels name, at run time

  and every node must be live (`deleted` not true). A pattern's relationship joins two such nodes, so
  a link is readable only when both its ends are; a link computed from case material (CALLED, from
  the call detail records of its `case_uids`) matches only when every one of those cases is readable
  too, so its counts hold nothing from a case the user may not read.
* Properties that name other records (`POINTERS`: master_uid, case_uid, case_uids, combined_into,
  combined_from) read as null (a list: narrowed) where the record they name is not readable.
  A relationship must name link types of the vocabulary; one with no type means "any link type" and
  is printed with all of them (`OWNED_BY`, `REPORTS_TO`, `MEMBER_OF` lead to users and offices).
* The predicate goes where the pattern is matched: a subquery right after the MATCH's pattern
  (`CALL (...) { WITH * WHERE <policy> RETURN 0 AS g__n }`; an OPTIONAL MATCH becomes the pattern and
  that check inside an OPTIONAL CALL, see `_Guard.checked`), the WHERE of a SHORTEST / ANY path's
  MATCH, the inner WHERE of a quantified group (so a shortest path only steps on readable records),
  the WHERE of a pattern comprehension and of EXISTS / COUNT / COLLECT subqueries. Matching then
  behaves as if hidden records were not in the database: a result cannot depend on whether one
  matched (no "one locked row when the guess is right" channel).
* The analyst's own WHERE is evaluated only for rows that passed the policy: it is printed as
  `CASE WHEN <policy> THEN <their condition> ELSE false END`. Neo4j may evaluate the conjuncts of an
  AND in any order, but it evaluates a CASE in order, so `date(x.given_name)` can never run on a hidden
  `x` (the error channel), nor can `1/0` when a hidden value matches. Only conditions that cannot fail
  stay outside the CASE, where the planner can use them for index seeks: equalities of a property
  with a literal or a parameter (and between properties of matched nodes), and the top-level
  conjuncts of the WHERE that compare a property with a literal, a parameter or a variable (`=`,
  `<`, `>=`, STARTS WITH, IS NOT NULL, ...; IN only a list of literals or a list parameter), see
  `_Guard.total`. A comparison of mismatched types is null, never an error, and the policy is still
  ANDed, so such a condition only narrows what the policy lets through. A window computed from an
  expression (`datetime() - duration(...)`) is written in a WITH before the MATCH to stand outside.
* In a SHORTEST / ANY path only the two end nodes may stand outside a quantified group: the
  selector picks paths per pair of ends, so filtering the ends after the selection equals filtering
  them before, while an interior node must be filtered inside the group, during the search.

Refused, each with its own message: label-less new nodes, labels and types outside the vocabulary
(users, sessions, tokens, audit entries, notifications, offices; approval requests are a
catalogue-only kind, see `REQUEST_LABEL`), every write and admin clause (CREATE, MERGE, SET, DELETE,
REMOVE, FOREACH, INSERT, LOAD CSV, USE, ...), procedure calls (even the full-text ones: their scores
are computed over hidden records too), `CALL { } IN TRANSACTIONS` and old-style `CALL { WITH ... }`,
functions outside `FUNCTIONS` (APOC, `db.*`, `id`, `elementId`, ...), dynamic labels and types
(`$(...)`), dynamic property access (`n[$key]`; only lists are indexed by expressions), back-quoted
names, variable-length relationships (use a quantified group with labelled nodes), `*` projections,
label negation and wildcards, `properties()`, `keys()` and `x {.*}` (a record's properties include
pointers, checked one by one, so a query names the properties it reads), and variables that would
capture a name the policy predicates bind. Users, sessions and other non-record nodes cannot be bound
at all, so no expression can reach their properties.

Placeholders such as `{{subject_readable s}}` (the previous way of applying the policy) are still
accepted and expanded, so saved versions written before the guard keep working; they are redundant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from ..nodes.vocabulary import DOCUMENT_TYPES, ENTITY_TYPES, LINK_TYPES, SELECTOR_TYPES
from ..policy import scopes
from ..policy.rules import LIST_PARAMS

# ---------------------------------------------------------------------------------------------
# The vocabulary a query may name, and the policy predicate each kind of node gets
# ---------------------------------------------------------------------------------------------

#: Approval requests may be named by catalogue files only (reviewed in the repository), never by an
#: analyst's saved query; they are readable by the requester and the supervisors above them.
REQUEST_LABEL = "ApprovalRequest"

_KIND_LABELS: dict[str, frozenset[str]] = {
    "Case": frozenset({"case"}),
    "SubjectRecord": frozenset({"subject"}),
    "Document": frozenset({"document"}),
    "Linkable": frozenset({"case", "subject", "document", "selector"}),
    **{t: frozenset({"subject"}) for t in ENTITY_TYPES},
    **{t: frozenset({"document"}) for t in DOCUMENT_TYPES},
    **{t: frozenset({"selector"}) for t in SELECTOR_TYPES},
}
NODE_LABELS = frozenset(_KIND_LABELS)
REL_TYPES = tuple(LINK_TYPES)
SELECTOR_LINKS = scopes.SELECTOR_LINKS

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")


def _v(var: str) -> str:
    if not _IDENT.match(var):
        raise ValueError(f"not a Cypher variable name: {var!r}")
    return var


def selector_readable(n: str) -> str:
    """Predicate: may the actor read selector `n`? The policy's own rule (`scopes.selector_readable`)."""
    return scopes.selector_readable(n)


#: Link types whose properties are computed from the material of the cases in their `case_uids` (call
#: detail records behind CALLED): such a link matches only when every one of those cases is readable.
CASE_DERIVED = ("CALLED", "IDENTIFIED_AS")
#: Properties that name other records; read through `_Guard.pointer`, never as stored.
POINTERS = frozenset({"master_uid", "combined_into", "combined_from", "case_uid", "case_uids"})
LIST_POINTERS = frozenset({"case_uids"})


def link_readable(r: str, only: bool = False) -> str:
    """Predicate for a link whose ends are readable: one derived from case material (CALLED) only when every
    case it was computed from is readable and live (its counts then hold nothing from any other case).
    `only`: the link is known to be of a case-derived type."""
    r = _v(r)
    u, k = f"{r}_cu", f"{r}_ck"
    cases = (f"all({u} IN coalesce({r}.case_uids, []) WHERE EXISTS {{ MATCH ({k}:Case {{uid: {u}}}) "
             f"WHERE {node_readable(k, frozenset({'case'}))} }})")
    if only:
        return cases
    return f"(NOT ({' OR '.join(f'{r}:{t}' for t in CASE_DERIVED)}) OR {cases})"


def request_readable(r: str) -> str:
    """Predicate: may the actor read ApprovalRequest `r`? The requester and the supervisors above them
    (and auditors), and only when its target, if it names a record, is readable."""
    r = _v(r)
    t = f"{r}_rt"
    # A request targets a case, a Subject Record or a document (or an access grant, no Linkable): the
    # selector branch of `scopes.record_readable` is left out (a selector target would count as hidden),
    # which halves what the planner compiles: pending_items took 20-30 s to plan on a busy machine.
    return (f"(($auditor OR {r}.requested_by = $me OR {r}.requested_by IN $subordinates) "
            f"AND NOT EXISTS {{ MATCH ({t}:Linkable {{uid: {r}.target_uid}}) "
            f"WHERE NOT ({_kind_case(t, frozenset({'case', 'subject', 'document'}))}) }})")


_KIND_TEST: dict[str, Callable[[str], str]] = {
    "case": lambda v: f"{v}:Case",
    "subject": lambda v: f"{v}:SubjectRecord",
    "document": lambda v: f"{v}:Document",
    "selector": lambda v: "(" + " OR ".join(f"{v}:{t}" for t in SELECTOR_TYPES) + ")",
    "request": lambda v: f"{v}:{REQUEST_LABEL}",
}
_KIND_PREDICATE: dict[str, Callable[[str], str]] = {
    "case": scopes.case_readable,
    "subject": scopes.subject_readable,
    "document": scopes.document_readable,
    "selector": selector_readable,
    "request": request_readable,
}
_KIND_ORDER = ("case", "subject", "document", "selector", "request")


def node_readable(var: str, kinds: frozenset[str]) -> str:
    """Predicate for a node the query matched with labels of these kinds: live, and readable by the rule
    of whichever kind it turns out to be (a node of no listed kind never matches)."""
    var = _v(var)
    live = "" if kinds == {"request"} else f"{_live(var)} AND "
    return f"({live}{_kind_case(var, kinds)})"


def _kind_case(var: str, kinds: frozenset[str]) -> str:
    """The rule of whichever of `kinds` node `var` turns out to be; false for a node of none of them."""
    branches = " ".join(f"WHEN {_KIND_TEST[k](var)} THEN {_KIND_PREDICATE[k](var)}"
                        for k in _KIND_ORDER if k in kinds)
    return f"CASE {branches} ELSE false END"


def _steps(kinds: list[str], shapes: list[tuple]) -> Iterator[tuple[tuple, tuple, tuple]]:
    """The (node, link, node) steps of a path, as the parser shaped them: ((var, kinds), (types, arrow,
    active), (var, kinds)); a node bound earlier has no kinds, and a quantified group breaks the path."""
    for i in range(0, len(kinds) - 2, 2):
        if kinds[i:i + 3] == ["node", "rel", "node"]:
            yield shapes[i], shapes[i + 1], shapes[i + 2]


def _live(var: str) -> str:
    return f"coalesce({var}.deleted, false) = false"


#: The explicit policy placeholders a query may still write (they are redundant now).
PLACEHOLDERS: dict[str, Callable[[str], str]] = {
    "readable": scopes.record_readable,
    "case_readable": scopes.case_readable,
    "subject_readable": scopes.subject_readable,
    "document_readable": scopes.document_readable,
    "hidden": scopes.hidden,
}

# ---------------------------------------------------------------------------------------------
# What a query may use besides patterns
# ---------------------------------------------------------------------------------------------

#: Functions a query may call (lower case; names are case-insensitive in Cypher). Anything that reads
#: the database on its own (APOC, db.*, graph.*), exposes storage ids (id, elementId) or the file
#: system (file, linenumber) is absent.
AGGREGATES = frozenset({"count", "collect", "sum", "avg", "min", "max", "percentilecont", "percentiledisc",
                        "stdev", "stdevp"})
FUNCTIONS = AGGREGATES | frozenset({
    "coalesce", "size", "length", "head", "last", "tail", "reverse", "range", "isempty", "nullif",
    "type", "startnode", "endnode", "labels", "nodes", "relationships",
    "tostring", "tostringornull", "tointeger", "tointegerornull", "tofloat", "tofloatornull", "toboolean",
    "tobooleanornull", "tostringlist", "tointegerlist", "tofloatlist", "tobooleanlist", "valuetype",
    "tolower", "toupper", "lower", "upper", "trim", "ltrim", "rtrim", "btrim", "left", "right", "substring",
    "replace", "split", "char_length", "character_length",
    "abs", "ceil", "floor", "round", "sign", "sqrt", "exp", "log", "log10", "e", "pi", "isnan", "rand",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "cot", "degrees", "radians", "haversin",
    "randomuuid", "timestamp",
    "date", "datetime", "localdatetime", "localtime", "time", "duration",
    "date.truncate", "datetime.truncate", "localdatetime.truncate", "localtime.truncate", "time.truncate",
    "date.statement", "datetime.statement", "date.transaction", "datetime.transaction",
    "datetime.fromepoch", "datetime.fromepochmillis",
    "duration.between", "duration.indays", "duration.inmonths", "duration.inseconds",
    "point", "point.distance", "point.withinbbox",
})
#: Functions whose value is a list, so indexing it with any expression is list indexing.
_LIST_FUNCTIONS = frozenset({"collect", "nodes", "relationships", "labels", "split", "range", "tail",
                             "reverse", "tostringlist", "tointegerlist", "tofloatlist", "tobooleanlist"})

#: Clauses that write or administer: refused wherever a clause may start.
WRITE_CLAUSES = frozenset({"CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "FOREACH", "DROP", "INSERT",
                           "LOAD", "USE", "GRANT", "DENY", "REVOKE", "ALTER", "SHOW", "TERMINATE", "START",
                           "STOP", "ENABLE", "RENAME", "FINISH", "FILTER", "LET", "NEXT", "YIELD"})
_CLAUSE_STARTS = frozenset({"MATCH", "OPTIONAL", "WITH", "UNWIND", "CALL", "RETURN"})

#: Words printed back-quoted when a query uses them as names (`RETURN c AS case`).
KEYWORDS = frozenset({
    "ALL", "AND", "ANY", "AS", "ASC", "ASCENDING", "BY", "CALL", "CASE", "COLLECT", "CONTAINS", "COUNT",
    "CREATE", "CSV", "DELETE", "DESC", "DESCENDING", "DETACH", "DISTINCT", "ELSE", "END", "ENDS", "EXISTS",
    "FALSE", "FINISH", "FOREACH", "FROM", "GROUPS", "IN", "INSERT", "IS", "LIMIT", "LOAD", "MATCH", "MERGE",
    "NONE", "NOT", "NULL", "OFFSET", "ON", "OPTIONAL", "OR", "ORDER", "REDUCE", "REMOVE", "RETURN", "SET",
    "SHORTEST", "SINGLE", "SKIP", "STARTS", "THEN", "TRUE", "UNION", "UNWIND", "USE", "WHEN", "WHERE", "WITH",
    "XOR", "YIELD", "USING", "FILTER", "LET", "NEXT", "TRANSACTIONS",
})


class GuardError(ValueError):
    """The query text is outside the guarded subset; the message names the construct, never data."""


# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tok:
    kind: str  #: ident | param | string | number | punct | placeholder | eof
    value: str
    pos: int
    extra: str = ""


_PUNCT2 = ("<>", "!=", "<=", ">=", "=~", "..", "||")
_PUNCT1 = set("()[]{},.:|&!=<>+-*/%^")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s+([^}\s]+)\s*\}\}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def _line_col(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {col}"


def tokenize(text: str) -> list[Tok]:
    """The query's tokens; comments and white space dropped, strings decoded."""
    out: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise GuardError(f"unterminated /* comment ({_line_col(text, i)})")
            i = j + 2
        elif text.startswith("{{", i):
            m = _PLACEHOLDER.match(text, i)
            if not m:
                raise GuardError("malformed placeholder: write {{readable x}} with one variable name")
            out.append(Tok("placeholder", m.group(1), i, m.group(2)))
            i = m.end()
        elif c in "'\"":
            j, chars = i + 1, []
            while True:
                if j >= n:
                    raise GuardError(f"unterminated string ({_line_col(text, i)})")
                ch = text[j]
                if ch == c:
                    break
                if ch == "\\":
                    nxt = text[j + 1:j + 2]
                    if nxt in _ESCAPES:
                        chars.append(_ESCAPES[nxt])
                        j += 2
                        continue
                    if nxt in ("u", "U"):
                        width = 4 if nxt == "u" else 8
                        digits = text[j + 2:j + 2 + width]
                        if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                            raise GuardError(f"bad \\{nxt} escape in a string ({_line_col(text, j)})")
                        chars.append(chr(int(digits, 16)))
                        j += 2 + width
                        continue
                    raise GuardError(f"unknown escape \\{nxt} in a string ({_line_col(text, j)})")
                chars.append(ch)
                j += 1
            out.append(Tok("string", "".join(chars), i))
            i = j + 1
        elif c == "`":
            raise GuardError("back-quoted identifiers are not allowed in saved queries")
        elif c == "$":
            m = re.compile(r"[A-Za-z_]\w*").match(text, i + 1)
            if not m:
                if text[i + 1:i + 2] == "(" or text[i + 1:].lstrip().startswith("("):
                    raise GuardError("dynamic labels and types are not allowed")
                raise GuardError(f"a parameter is $ and a name ({_line_col(text, i)})")
            out.append(Tok("param", m.group(0), i))
            i = m.end()
        elif c.isdigit():
            m = _NUMBER.match(text, i)
            assert m is not None
            if text[m.end():m.end() + 1].isalpha() or text[m.end():m.end() + 1] == "_":
                raise GuardError(f"write numbers in decimal ({_line_col(text, i)})")
            out.append(Tok("number", m.group(0), i))
            i = m.end()
        elif c.isascii() and (c.isalpha() or c == "_"):
            m = re.compile(r"[A-Za-z_]\w*", re.ASCII).match(text, i)
            assert m is not None
            out.append(Tok("ident", m.group(0), i))
            i = m.end()
        elif text[i:i + 2] in _PUNCT2:
            out.append(Tok("punct", text[i:i + 2], i))
            i += 2
        elif c in _PUNCT1:
            out.append(Tok("punct", c, i))
            i += 1
        elif c == ";":
            raise GuardError("one statement per query: remove the ';'")
        else:
            raise GuardError(f"unexpected character {c!r} ({_line_col(text, i)})")
    out.append(Tok("eof", "", n))
    return out


# ---------------------------------------------------------------------------------------------
# Printing helpers
# ---------------------------------------------------------------------------------------------

def _quote(s: str) -> str:
    out = []
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch in "\n\r\t\b\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def _name(name: str) -> str:
    """A user's variable or alias as printed: back-quoted when it is a keyword."""
    return f"`{name}`" if name.upper() in KEYWORDS else name


@dataclass
class Ex:
    """A printed expression and what the guard needs to know about its shape."""

    text: str
    tag: str = "expr"  #: lit | param | var | prop | list | expr
    base: str | None = None  #: the variable, for var and prop
    op: str | None = None  #: for a comparison or predicate: its operator ("=", "STARTS WITH", "IS NULL", ...)
    args: tuple[Ex, ...] = ()  #: its operands
    conj: tuple[Ex, ...] = ()  #: for an AND: its conjuncts, flattened


@dataclass
class _Pattern:
    """What one MATCH (or quantified group, or subquery pattern) binds and what its WHERE must get."""

    policy: list[tuple[str, str]] = field(default_factory=list)  #: (variable, predicate) for what it introduces
    bound: dict[str, bool] = field(default_factory=dict)  #: name -> holds a node or relationship
    total: list[str] = field(default_factory=list)  #: conditions that cannot fail: outside the guard
    guarded: list[str] = field(default_factory=list)  #: conditions evaluated only on readable rows
    selective: bool = False  #: a path has a selector (SHORTEST, ANY)


@dataclass(frozen=True)
class Guarded:
    """A checked query: the Cypher to run, and the parameters it reads."""

    cypher: str
    params: frozenset[str]


# ---------------------------------------------------------------------------------------------
# The recognizer / printer
# ---------------------------------------------------------------------------------------------

class _Guard:
    def __init__(self, text: str, param_types: dict[str, str], allow_requests: bool):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.param_types = param_types
        self.allow_requests = allow_requests
        self.params: set[str] = set()
        self.user_vars: set[str] = set()
        self.fragments: list[tuple[str, str]] = []  #: (subject variable, predicate text)
        #: What the last node or relationship parsed was: (variable, kinds it introduced, or none when it was
        #: bound before) for a node, (types, arrow "<" / ">" / "", pinned to active links) for a relationship.
        self.shape: tuple = ()
        self.generated = 0
        self.nested = 0  #: how deep in an expression's subquery (EXISTS, COUNT, COLLECT) the parser is

    # --- tokens -----------------------------------------------------------------------------

    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.peek()
        self.i += 1
        return t

    def is_kw(self, word: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "ident" and t.value.upper() == word

    def at_kw(self, *words: str) -> bool:
        return any(self.is_kw(w) for w in words)

    def accept_kw(self, word: str) -> bool:
        if self.is_kw(word):
            self.i += 1
            return True
        return False

    def expect_kw(self, word: str) -> None:
        if not self.accept_kw(word):
            self.fail(f"expected {word}")

    def at(self, p: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == "punct" and t.value == p

    def accept(self, p: str) -> bool:
        if self.at(p):
            self.i += 1
            return True
        return False

    def expect(self, p: str) -> None:
        if not self.accept(p):
            self.fail(f"expected '{p}'")

    def where(self) -> str:
        t = self.peek()
        if t.kind == "eof":
            return "at the end of the query"
        shown = t.value if t.kind != "string" else "a string"
        return f"at {shown!r} ({_line_col(self.text, t.pos)})"

    def fail(self, message: str, here: bool = True):
        raise GuardError(f"{message} {self.where()}" if here else message)

    # --- names ------------------------------------------------------------------------------

    def ident(self, what: str = "a name") -> str:
        t = self.peek()
        if t.kind != "ident":
            self.fail(f"expected {what}")
        self.i += 1
        return t.value

    def new_name(self, what: str, pattern: bool = False) -> str:
        """A variable the query introduces: checked, and remembered for the capture check."""
        name = self.ident(what)
        if not _IDENT.match(name) or "__" in name:
            self.fail(f"variable names are letters, digits and single underscores, starting with a letter "
                      f"(at most 31 characters): {name!r} is not allowed", here=False)
        if pattern and name.upper() in KEYWORDS:
            self.fail(f"{name} is a Cypher keyword; give the pattern variable another name", here=False)
        self.user_vars.add(name)
        return name

    def compose(self, pat: _Pattern, var: str, predicate: str) -> None:
        pat.policy.append((var, predicate))
        self.fragments.append((var, predicate))

    def gen(self) -> str:
        self.generated += 1
        return f"g__{self.generated}"

    # --- queries and clauses ----------------------------------------------------------------

    def run(self) -> Guarded:
        cypher, _ = self.query({}, require_return=True)
        if self.peek().kind != "eof":
            self.fail("unexpected text after the query")
        self.check_capture()
        return Guarded(cypher, frozenset(self.params))

    def query(self, env: dict[str, bool], require_return: bool) -> tuple[str, list[str]]:
        text, cols = self.single(dict(env), require_return)
        parts = [text]
        while self.at_kw("UNION"):
            self.next()
            parts.append("UNION ALL" if self.accept_kw("ALL") else "UNION")
            more, _ = self.single(dict(env), require_return)
            parts.append(more)
        return "\n".join(parts), cols

    def single(self, env: dict[str, bool], require_return: bool) -> tuple[str, list[str]]:
        clauses: list[str] = []
        while True:
            t = self.peek()
            word = t.value.upper() if t.kind == "ident" else ""
            if word in ("OPTIONAL", "MATCH"):
                clauses.append(self.match(env))
            elif word == "WITH":
                text, env = self.with_(env)
                clauses.append(text)
            elif word == "UNWIND":
                clauses.append(self.unwind(env))
            elif word == "CALL":
                clauses.append(self.call(env))
            elif word == "RETURN":
                text, cols = self.projection(env, "RETURN")
                clauses.append(text)
                if self.at_kw(*_CLAUSE_STARTS) or self.at_kw(*WRITE_CLAUSES):
                    self.fail("RETURN ends the query")
                return "\n".join(clauses), cols
            elif word in WRITE_CLAUSES:
                what = "LOAD CSV" if word == "LOAD" else word
                self.fail(f"{what} is not allowed: saved queries are read-only", here=False)
            elif t.kind == "eof" or self.at("}") or word == "UNION":
                if require_return or not clauses:
                    self.fail("a query ends with RETURN")
                return "\n".join(clauses), []
            else:
                self.fail("expected MATCH, OPTIONAL MATCH, WITH, UNWIND, CALL () { ... } or RETURN")

    def match(self, env: dict[str, bool]) -> str:
        optional = self.accept_kw("OPTIONAL")
        self.expect_kw("MATCH")
        pat = _Pattern()
        paths = self.patterns(env, pat)
        before = dict(env)
        env.update(pat.bound)
        cond = None
        if self.accept_kw("WHERE"):
            own = self.expr(env)
            kept: list[str] = []
            for c in own.conj or (own,):
                (pat.total if self.total(c, env) else kept).append(c.text)
            cond = " AND ".join(kept) or None
        if pat.selective or self.nested:
            where = self.guard_where(pat, cond)
            return f"{'OPTIONAL MATCH' if optional else 'MATCH'} {paths}" + (f"\n  WHERE {where}" if where else "")
        return self.checked(paths, pat, cond, before, env, optional)

    def checked(self, paths: str, pat: _Pattern, cond: str | None, before: dict[str, bool],
                env: dict[str, bool], optional: bool) -> str:
        """A MATCH whose policy (and the analyst's guarded condition behind it) is checked in a subquery
        right after its pattern: `MATCH <pattern> WHERE <what cannot fail> CALL (<in scope>) { WITH * WHERE
        <the rest, as guard_where prints it> RETURN 0 AS g__n }`; an OPTIONAL MATCH is the same inside an
        OPTIONAL CALL returning what the pattern binds (a row of nulls when nothing readable matched).

        The rows are those of the one-WHERE form: the same CASE, so the analyst's conditions still run only
        on rows the policy passed, and the conditions that cannot fail stay on the pattern, where the
        planner seeks indexes with them. What changes is planning. In a WHERE, the policy's EXISTS
        subqueries were planned again for every join order the planner weighed, across all the MATCHes
        before a WITH: the catalogue took 48-61 s to plan on a fresh server (10-12 s for one query of
        two MATCHes), paid by the first user after every replan. In a subquery each is planned once. A
        MATCH's rows are now checked before the next clause runs, so the clauses run in the order written:
        start from what narrows most (a uid, a phone number, a link type), as an analyst reads the query.
        Not used inside EXISTS / COUNT / COLLECT, nor for a SHORTEST / ANY path (their WHERE, as before)."""
        total = " AND ".join(pat.total)
        check = self.guard_where(replace(pat, total=[]), cond)
        text = f"MATCH {paths}" + (f"\n  WHERE {total}" if total else "")
        if check:
            text += "\n" + scopes.checked([_name(v) for v in sorted(env)], check, self.gen())
        if not optional:
            return text
        # what the pattern binds; one row per match even when it binds nothing new
        new = [_name(v) for v in pat.bound if v not in before] or [f"0 AS {self.gen()}"]
        return (f"OPTIONAL CALL ({', '.join(_name(v) for v in sorted(before))}) {{\n{text}\n"
                f"RETURN {', '.join(new)}\n}}")

    #: Operators that never raise, whatever the types of their operands (a mismatch gives null).
    _TOTAL_OPS = frozenset({"=", "<>", "<", "<=", ">", ">=", "STARTS WITH", "ENDS WITH", "CONTAINS",
                            "IS NULL", "IS NOT NULL"})

    def total(self, c: Ex, env: dict[str, bool]) -> bool:
        """Can the analyst's conjunct `c` stand outside the policy's CASE, where the planner can seek an
        index with it (a range of `created_at`, an office in `$offices`)? Only when evaluating it on a
        hidden row can neither fail nor tell anything: a property of a matched node or relationship
        compared with a literal, a parameter, a variable or another such property, by an operator that
        never raises (a type mismatch gives null), or IN a parameter that is always a list or a list of
        literals. Its value still only narrows the rows the policy lets through."""
        def prop(e: Ex) -> bool:
            return e.tag == "prop" and e.base is not None and bool(env.get(e.base))

        def plain(e: Ex) -> bool:
            return e.tag in ("lit", "param", "var") or prop(e)

        if c.op in ("IS NULL", "IS NOT NULL"):
            return prop(c.args[0])
        if c.op in self._TOTAL_OPS:
            left, right = c.args
            return (prop(left) and plain(right)) or (prop(right) and plain(left))
        if c.op == "IN":
            left, right = c.args
            listed = ((right.tag == "param" and (right.text[1:] in LIST_PARAMS
                                                 or self.param_types.get(right.text[1:]) == "strings"))
                      or (right.tag == "list" and bool(right.args) and all(a.tag == "lit" for a in right.args)))
            return prop(left) and listed
        return False

    def patterns(self, env: dict[str, bool], pat: _Pattern) -> str:
        if self.at_kw("USING"):
            self.fail("planner hints (USING) are not allowed")
        out = [self.path(env, pat)]
        while self.accept(","):
            out.append(self.path(env, pat))
        if self.at_kw("USING"):
            self.fail("planner hints (USING) are not allowed")
        return ", ".join(out)

    def guard_where(self, pat: _Pattern, cond: str | None) -> str | None:
        """The WHERE a pattern gets: conditions that cannot fail, then the analyst's own, evaluated only
        once every node the pattern introduced is known to be readable."""
        policy = [text for _var, text in pat.policy]
        parts = list(pat.total)
        guarded = pat.guarded + ([cond] if cond else [])
        if guarded:
            own = " AND ".join(f"({g})" for g in guarded) if len(guarded) > 1 else guarded[0]
            parts.append(f"CASE WHEN {' AND '.join(policy)} THEN {own} ELSE false END" if policy else own)
        else:
            parts.extend(policy)
        return " AND ".join(parts) or None

    def with_(self, env: dict[str, bool]) -> tuple[str, dict[str, bool]]:
        text, _cols, new_env = self.project(env, "WITH")
        if self.accept_kw("WHERE"):
            text += f"\n  WHERE {self.expr(new_env).text}"
        return text, new_env

    def projection(self, env: dict[str, bool], word: str) -> tuple[str, list[str]]:
        text, cols, _ = self.project(env, word)
        return text, cols

    def project(self, env: dict[str, bool], word: str) -> tuple[str, list[str], dict[str, bool]]:
        self.expect_kw(word)
        distinct = self.accept_kw("DISTINCT")
        if self.at("*"):
            self.fail(f"{word} * is not allowed: name what the query passes on")
        items, cols, new_env = [], [], {}
        while True:
            e = self.expr(env)
            if self.accept_kw("AS"):
                alias = self.new_name("a column name")
                items.append(f"{e.text} AS {_name(alias)}")
                new_env[alias] = e.tag == "var" and bool(e.base and env.get(e.base))
            elif e.tag == "var" and e.base:
                alias = e.base
                items.append(e.text)
                new_env[alias] = bool(env.get(alias))
            else:
                self.fail(f"name each computed column: {word} <expression> AS <name>")
            cols.append(alias)
            if not self.accept(","):
                break
        text = f"{word} {'DISTINCT ' if distinct else ''}{', '.join(items)}"
        # ORDER BY may use both the projected names and the variables before them.
        order_env = {**env, **new_env}
        if self.at_kw("ORDER"):
            self.next()
            self.expect_kw("BY")
            keys = []
            while True:
                k = self.expr(order_env).text
                for d in ("ASCENDING", "ASC", "DESCENDING", "DESC"):
                    if self.accept_kw(d):
                        k += " DESC" if d.startswith("DESC") else " ASC"
                        break
                keys.append(k)
                if not self.accept(","):
                    break
            text += " ORDER BY " + ", ".join(keys)
        if self.at_kw("SKIP", "OFFSET"):
            self.next()
            text += f" SKIP {self.expr(order_env).text}"
        if self.accept_kw("LIMIT"):
            text += f" LIMIT {self.expr(order_env).text}"
        return text, cols, new_env

    def unwind(self, env: dict[str, bool]) -> str:
        self.expect_kw("UNWIND")
        e = self.expr(env)
        self.expect_kw("AS")
        alias = self.new_name("a variable")
        env[alias] = False
        return f"UNWIND {e.text} AS {_name(alias)}"

    def call(self, env: dict[str, bool]) -> str:
        self.expect_kw("CALL")
        if self.at("{"):
            self.fail("write a subquery as CALL () { ... }, or CALL (x, y) { ... } to import variables")
        if not self.at("("):
            t = self.peek()
            name = t.value
            j = 1
            while self.at(".", j) and self.peek(j + 1).kind == "ident":
                name += "." + self.peek(j + 1).value
                j += 2
            self.fail(f"CALL {name} is not allowed: saved queries call no procedures", here=False)
        self.expect("(")
        imports: list[str] = []
        if self.at("*"):
            self.fail("import variables by name: CALL (x, y) { ... }")
        while not self.at(")"):
            name = self.ident("a variable to import")
            if name not in env:
                self.fail(f"CALL imports {name}, which is not defined before it", here=False)
            imports.append(name)
            if not self.accept(","):
                break
        self.expect(")")
        self.expect("{")
        inner, cols = self.query({v: env[v] for v in imports}, require_return=True)
        self.expect("}")
        if self.at_kw("IN"):
            self.fail("CALL { } IN TRANSACTIONS is not allowed: saved queries are read-only", here=False)
        for c in cols:
            env[c] = False
        return f"CALL ({', '.join(_name(v) for v in imports)}) {{\n{inner}\n}}"

    # --- patterns ---------------------------------------------------------------------------

    def path(self, env: dict[str, bool], pat: _Pattern) -> str:
        prefix = ""
        if self.peek().kind == "ident" and self.at("=", 1):
            var = self.new_name("a path variable", pattern=True)
            self.expect("=")
            pat.bound[var] = False
            prefix = f"{var} = "
        selector = self.path_selector()
        pat.selective = pat.selective or selector is not None
        if self.peek().kind == "ident" and self.peek().value.lower() in ("shortestpath", "allshortestpaths"):
            self.fail(f"{self.peek().value}() is not supported: write SHORTEST 1 (a) ((x:Label)-[r]-(y:Label)){{1,n}} (b)",
                      here=False)
        elements: list[str] = []
        kinds: list[str] = []
        shapes: list[tuple] = []
        elements.append(self.node(env, pat, None))
        kinds.append("node")
        shapes.append(self.shape)
        while True:
            if self.at("-") or self.at("<"):
                elements.append(self.rel(env, pat, None))
                kinds.append("rel")
                shapes.append(self.shape)
                elements.append(self.node(env, pat, None))
                kinds.append("node")
                shapes.append(self.shape)
            elif self.at("(") and self.at("(", 1):
                elements.append(self.group(env, pat))
                kinds.append("group")
                shapes.append(())
                if not self.at("("):
                    self.fail("a quantified group is followed by a node, e.g. ((x:Person)-[r]-(y:Person)){1,3} (b:Case)")
                elements.append(self.node(env, pat, None))
                kinds.append("node")
                shapes.append(self.shape)
            else:
                break
        if not selector:
            self.implied_selectors(pat, kinds, shapes)
            self.implied_subjects(pat, kinds, shapes)
        else:
            nodes = [i for i, k in enumerate(kinds) if k == "node"]
            if len(nodes) > 2:
                self.fail(f"in a {selector.split()[0]} path only the two end nodes may stand outside a quantified "
                          "group; put the others inside ((x:Label)-[r]-(y:Label)){m,n}", here=False)
            prefix += selector + " "
        return prefix + "".join(e if k != "group" else f" {e} " for e, k in zip(elements, kinds, strict=True))

    _RECORD_KINDS = (frozenset({"subject"}), frozenset({"document"}), frozenset({"subject", "document"}))

    def implied_selectors(self, pat: _Pattern, kinds: list[str], shapes: list[tuple]) -> None:
        """A selector this path introduces next to a record it also introduces, joined by an active selector
        link from the record (`(p:Phone)<-[:USES_PHONE {status: 'active'}]-(s:Person)`), needs no predicate of
        its own: a row passes only when that record is readable, and a readable record using the selector
        through an active link is exactly what `scopes.selector_readable` looks for. The selector keeps
        its liveness test. Dropping the predicate halved the database hits of `shared_phones` at 1M."""
        for (left, left_kinds), (types, arrow, active), (right, right_kinds) in _steps(kinds, shapes):
            if not active or not set(types) <= set(SELECTOR_LINKS):
                continue
            if left_kinds == {"selector"} and right_kinds in self._RECORD_KINDS and arrow == "<":
                selector = left
            elif right_kinds == {"selector"} and left_kinds in self._RECORD_KINDS and arrow == ">":
                selector = right
            else:
                continue
            pat.policy = [(v, _live(v) if v == selector else text) for v, text in pat.policy]

    def implied_subjects(self, pat: _Pattern, kinds: list[str], shapes: list[tuple]) -> None:
        """A Subject Record this path introduces next to a case it also introduces, joined by an active
        SUBJECT_IN from the record (`(s:Person)-[:SUBJECT_IN {status: 'active'}]->(c:Case)`), keeps only its
        liveness and label test: a row passes only when that case is readable, and an active subject of a
        readable case is readable (`scopes.subject_readable`, whose membership branch asks exactly that).
        A selector whose predicate `implied_selectors` dropped for this record stays covered: readable
        case, so readable record, so readable selector. `shared_phones` at 1M: 15.7M database hits to 9.0M."""
        for (left, left_kinds), (types, arrow, active), (right, right_kinds) in _steps(kinds, shapes):
            if not active or list(types) != ["SUBJECT_IN"]:
                continue
            if left_kinds == {"subject"} and right_kinds == {"case"} and arrow == ">":
                subject = left
            elif right_kinds == {"subject"} and left_kinds == {"case"} and arrow == "<":
                subject = right
            else:
                continue
            pat.policy = [(v, f"({_live(v)} AND {_KIND_TEST['subject'](v)})" if v == subject else text)
                          for v, text in pat.policy]

    def path_selector(self) -> str | None:
        if self.is_kw("SHORTEST"):
            self.next()
            k = self.next()
            if k.kind != "number" or not k.value.isdigit():
                self.fail("write SHORTEST k with a whole number k")
            return f"SHORTEST {k.value} GROUPS" if self.accept_kw("GROUPS") else f"SHORTEST {k.value}"
        if self.is_kw("ALL") and self.is_kw("SHORTEST", 1):
            self.i += 2
            return "ALL SHORTEST"
        if self.is_kw("ANY") and not self.at("(", 1):
            self.next()
            if self.accept_kw("SHORTEST"):
                return "ANY SHORTEST"
            if self.peek().kind == "number" and self.peek().value.isdigit():
                return f"ANY {self.next().value}"
            return "ANY"
        return None

    def label_expr(self, node: bool) -> tuple[list[str], str]:
        names = [self.label_name(node)]
        op = ""
        while self.at("|") or self.at("&") or self.at(":"):
            o = "&" if self.at("&") or self.at(":") else "|"
            self.next()
            if o == "|" and self.at(":"):
                self.next()  # the legacy `:A|:B`
            if op and op != o:
                self.fail("a label expression uses either | or & (or :), not both")
            op = o
            names.append(self.label_name(node))
        if not node and op == "&":
            self.fail("a relationship has one type: write :A|B for either")
        return names, op or "|"

    def label_name(self, node: bool) -> str:
        if self.at("!"):
            self.fail("label negation (!) is not allowed")
        if self.at("%"):
            self.fail("the wildcard label % is not allowed")
        if self.at("(") or self.at("$"):
            self.fail("dynamic or grouped label expressions are not allowed")
        name = self.ident("a label")
        if node:
            allowed = NODE_LABELS | ({REQUEST_LABEL} if self.allow_requests else set())
        else:
            allowed = frozenset(REL_TYPES)
        if name not in allowed:
            self.fail(f"label or relationship type {name} is not queryable "
                      "(use the record, selector, case and link vocabulary)", here=False)
        return name

    def kinds_of(self, names: list[str], op: str) -> frozenset[str]:
        sets = [frozenset({"request"}) if n == REQUEST_LABEL else _KIND_LABELS[n] for n in names]
        if op == "|":
            return frozenset().union(*sets)
        out = sets[0]
        for s in sets[1:]:
            out &= s
        if not out:
            self.fail(f"no node carries all of the labels {', '.join(names)}", here=False)
        return out

    def props(self, env: dict[str, bool], local: dict[str, bool]) -> list[tuple[str, Ex]]:
        self.expect("{")
        out: list[tuple[str, Ex]] = []
        while not self.at("}"):
            key = self.ident("a property name")
            self.expect(":")
            out.append((key, self.expr({**env, **local})))
            if not self.accept(","):
                break
        self.expect("}")
        return out

    def _apply_props(self, var: str | None, entries: list[tuple[str, Ex]], env: dict[str, bool],
                     pat: _Pattern) -> tuple[str | None, str]:
        """Literal and parameter values stay in the pattern; other values become conditions."""
        inline, moved = [], []
        for key, e in entries:
            if e.tag in ("lit", "param") and key not in POINTERS:
                inline.append(f"{key}: {e.text}")
            else:
                moved.append((key, e))
        if moved and var is None:
            var = self.gen()
        for key, e in moved:
            assert var is not None
            if key in POINTERS:
                pat.guarded.append(f"{self.pointer(var, key)} = {e.text}")
                continue
            cond = f"{var}.{key} = {e.text}"
            total = e.tag == "var" or (e.tag == "prop" and e.base is not None
                                       and (pat.bound.get(e.base) or env.get(e.base)))
            (pat.total if total else pat.guarded).append(cond)
        return var, (" {" + ", ".join(inline) + "}") if inline else ""

    def node(self, env: dict[str, bool], pat: _Pattern, group: _Pattern | None) -> str:
        self.expect("(")
        var = None
        if self.peek().kind == "ident":
            var = self.new_name("a node variable", pattern=True)
        labels, op = None, "|"
        if self.accept(":"):
            labels, op = self.label_expr(node=True)
        entries = self.props(env, {**pat.bound, **(group.bound if group else {})}) if self.at("{") else []
        if self.at_kw("WHERE"):
            self.fail("write a node's condition in the WHERE of its MATCH, not inside the node")
        self.expect(")")
        scope = group if group is not None else pat
        if group is not None:
            bound = var is not None and var in group.bound
        else:
            bound = var is not None and (var in env or var in pat.bound)
        if not bound:
            if labels is None:
                self.fail(f"the node ({var or ''}) has no label: a query matches records, selectors and cases "
                          "only through their labels, e.g. (p:Person), (c:Case), (x:Linkable)", here=False)
            assert labels is not None
            kinds = self.kinds_of(labels, op)
            if var is None:
                var = self.gen()
            self.compose(scope, var, node_readable(var, kinds))
            scope.bound[var] = True
            self.shape = (var, kinds)
        else:
            self.shape = (var, frozenset())
            if labels is not None:
                self.kinds_of(labels, op)
        var, inline = self._apply_props(var, entries, env, scope)
        label_text = (":" + op.join(labels)) if labels else ""
        return f"({var or ''}{label_text}{inline})"

    def rel(self, env: dict[str, bool], pat: _Pattern, group: _Pattern | None) -> str:
        scope = group if group is not None else pat
        left = self.accept("<")
        self.expect("-")
        var, types, entries = None, None, []
        if self.accept("["):
            if self.peek().kind == "ident":
                var = self.new_name("a relationship variable", pattern=True)
            if self.accept(":"):
                types, _ = self.label_expr(node=False)
            if self.at("*"):
                self.fail("variable-length relationships are not allowed: write a quantified group with labelled "
                          "nodes, ((x:Label)-[r]-(y:Label)){1,3}")
            if self.at("{"):
                entries = self.props(env, {**pat.bound, **(group.bound if group else {})})
            if self.at_kw("WHERE"):
                self.fail("write a relationship's condition in the WHERE of its MATCH")
            self.expect("]")
        self.expect("-")
        right = self.accept(">")
        if left and right:
            self.fail("a relationship goes one way or either way: -[]->, <-[]- or -[]-", here=False)
        if self.at("+") or self.at("*") or (self.at("{") and self.peek(1).kind == "number"):
            self.fail("quantified relationships are not allowed: write a quantified group with labelled nodes, "
                      "((x:Label)-[r]-(y:Label)){1,3}")
        types = types or list(REL_TYPES)
        derived = [t for t in types if t in CASE_DERIVED]
        reused = var is not None and (var in scope.bound or (group is None and var in env))
        if derived and not reused:
            if var is None:
                var = self.gen()
            self.compose(scope, var, link_readable(var, only=len(derived) == len(types)))
        if var is not None:
            scope.bound[var] = True
        active = any(k == "status" and e.tag == "lit" and e.text == "'active'" for k, e in entries)
        self.shape = (types, "<" if left else ">" if right else "", active)
        var, inline = self._apply_props(var, entries, env, scope)
        inner = f"{var or ''}:{'|'.join(types)}{inline}"
        return f"{'<' if left else ''}-[{inner}]-{'>' if right else ''}"

    def group(self, env: dict[str, bool], pat: _Pattern) -> str:
        self.expect("(")
        grp = _Pattern()
        parts = [self.node(env, pat, grp)]
        if not (self.at("-") or self.at("<")):
            self.fail("a quantified group holds at least one relationship")
        while self.at("-") or self.at("<"):
            parts.append(self.rel(env, pat, grp))
            parts.append(self.node(env, pat, grp))
        cond = None
        if self.accept_kw("WHERE"):
            cond = self.expr({**env, **pat.bound, **grp.bound}).text
        self.expect(")")
        quant = self.quantifier()
        where = self.guard_where(grp, cond)
        for v in grp.bound:
            pat.bound[v] = False  # outside the group, its variables are lists
        return f"({''.join(parts)}{' WHERE ' + where if where else ''}){quant}"

    def quantifier(self) -> str:
        if self.accept("+"):
            return "+"
        if self.accept("*"):
            return "*"
        if not self.accept("{"):
            self.fail("a parenthesised group needs a quantifier such as {1,3}")
        lo = self.next().value if self.peek().kind == "number" else ""
        text = lo
        if self.accept(","):
            hi = self.next().value if self.peek().kind == "number" else ""
            text += "," + hi
        elif not lo:
            self.fail("write a quantifier as {m,n}")
        if not all(x.isdigit() for x in text.split(",") if x):
            self.fail("a quantifier's bounds are whole numbers")
        self.expect("}")
        return "{" + text + "}"

    # --- expressions ------------------------------------------------------------------------

    def expr(self, env: dict[str, bool]) -> Ex:
        left = self.xor(env)
        while self.accept_kw("OR"):
            left = Ex(f"({left.text} OR {self.xor(env).text})")
        return left

    def xor(self, env: dict[str, bool]) -> Ex:
        left = self.and_(env)
        while self.accept_kw("XOR"):
            left = Ex(f"({left.text} XOR {self.and_(env).text})")
        return left

    def and_(self, env: dict[str, bool]) -> Ex:
        left = self.not_(env)
        parts = [left]
        while self.accept_kw("AND"):
            parts.append(self.not_(env))
            left = Ex(f"({left.text} AND {parts[-1].text})", conj=tuple(parts))
        return left

    def not_(self, env: dict[str, bool]) -> Ex:
        if self.accept_kw("NOT"):
            return Ex(f"(NOT {self.not_(env).text})")
        return self.comparison(env)

    _COMPARE = ("=", "<>", "!=", "<", ">", "<=", ">=")

    def comparison(self, env: dict[str, bool]) -> Ex:
        left = self.predicate(env)
        t = self.peek()
        if t.kind == "punct" and t.value in self._COMPARE:
            self.next()
            op = "<>" if t.value == "!=" else t.value
            right = self.predicate(env)
            left = self._binary(left, op, right)
            t = self.peek()
            if t.kind == "punct" and t.value in self._COMPARE:
                self.fail("chained comparisons are not allowed: join them with AND")
        return left

    def predicate(self, env: dict[str, bool]) -> Ex:
        left = self.additive(env)
        if self.accept("=~"):
            return Ex(f"({left.text} =~ {self.additive(env).text})")
        if self.is_kw("STARTS") or self.is_kw("ENDS"):
            word = self.next().value.upper()
            self.expect_kw("WITH")
            return self._binary(left, f"{word} WITH", self.additive(env))
        if self.accept_kw("CONTAINS"):
            return self._binary(left, "CONTAINS", self.additive(env))
        if self.accept_kw("IN"):
            return self._binary(left, "IN", self.additive(env))
        if self.accept_kw("IS"):
            op = "IS NOT NULL" if self.accept_kw("NOT") else "IS NULL"
            if not self.accept_kw("NULL"):
                self.fail("only IS NULL and IS NOT NULL are allowed after IS")
            return Ex(f"({left.text} {op})", op=op, args=(left,))
        return left

    @staticmethod
    def _binary(left: Ex, op: str, right: Ex) -> Ex:
        return Ex(f"({left.text} {op} {right.text})", op=op, args=(left, right))

    def additive(self, env: dict[str, bool]) -> Ex:
        left = self.multiplicative(env)
        while self.at("+") or self.at("-") or self.at("||"):
            op = self.next().value
            left = Ex(f"({left.text} {op} {self.multiplicative(env).text})")
        return left

    def multiplicative(self, env: dict[str, bool]) -> Ex:
        left = self.power(env)
        while self.at("*") or self.at("/") or self.at("%"):
            op = self.next().value
            left = Ex(f"({left.text} {op} {self.power(env).text})")
        return left

    def power(self, env: dict[str, bool]) -> Ex:
        left = self.unary(env)
        while self.accept("^"):
            left = Ex(f"({left.text} ^ {self.unary(env).text})")
        return left

    def unary(self, env: dict[str, bool]) -> Ex:
        if self.at("-") or self.at("+"):
            op = self.next().value
            inner = self.postfix(env)
            if op == "-" and inner.tag == "lit" and inner.text[:1].isdigit():
                return Ex(f"-{inner.text}", "lit")
            return Ex(f"({op}{inner.text})")
        return self.postfix(env)

    def postfix(self, env: dict[str, bool]) -> Ex:
        e = self.atom(env)
        while True:
            if self.at("."):
                self.next()
                if self.at("*"):
                    self.fail("write properties(x) or x {.*} for all properties")
                key = self.ident("a property name")
                if key in POINTERS:
                    e = Ex(self.pointer(e.text, key))
                else:
                    e = Ex(f"{e.text}.{key}", "prop" if e.tag == "var" else "expr",
                           e.base if e.tag == "var" else None)
            elif self.at("["):
                e = self.index(env, e)
            elif self.at(":") and e.tag == "var":
                self.next()
                names, op = self.label_test()
                e = Ex(f"({e.text}:{op.join(names)})")
            elif self.at("{") and e.tag == "var":
                e = self.map_projection(env, e)
            else:
                return e

    def label_test(self) -> tuple[list[str], str]:
        names = [self.label_in_expr()]
        op = ""
        while self.at("|") or self.at("&") or self.at(":"):
            o = "&" if self.at("&") or self.at(":") else "|"
            self.next()
            if op and op != o:
                self.fail("a label expression uses either | or & (or :), not both")
            op = o
            names.append(self.label_in_expr())
        return names, op or "|"

    def label_in_expr(self) -> str:
        if self.at("!") or self.at("%") or self.at("(") or self.at("$"):
            self.fail("write a label test with plain labels, e.g. x:Person or r:OWNS|OPERATES")
        name = self.ident("a label")
        allowed = NODE_LABELS | set(REL_TYPES) | ({REQUEST_LABEL} if self.allow_requests else set())
        if name not in allowed:
            self.fail(f"label or relationship type {name} is not queryable "
                      "(use the record, selector, case and link vocabulary)", here=False)
        return name

    def _static_index(self, e: Ex) -> bool:
        return e.tag == "lit" and re.fullmatch(r"-?\d+", e.text) is not None or (
            e.tag == "param" and self.param_types.get(e.text[1:]) == "int")

    def index(self, env: dict[str, bool], base: Ex) -> Ex:
        self.expect("[")
        lo = None if self.at("..") else self.expr(env)
        if self.accept(".."):
            hi = None if self.at("]") else self.expr(env)
            self.expect("]")
            bounds = [b for b in (lo, hi) if b is not None]
            if base.tag != "list" and not all(self._static_index(b) for b in bounds):
                self.fail("slice a value with whole numbers or int parameters", here=False)
            return Ex(f"{base.text}[{lo.text if lo else ''}..{hi.text if hi else ''}]", "list")
        self.expect("]")
        assert lo is not None
        if base.tag != "list" and not self._static_index(lo):
            self.fail("dynamic property access (x[expression]) is not allowed: write x.property, or index a list "
                      "with a whole number", here=False)
        return Ex(f"{base.text}[{lo.text}]")

    def map_projection(self, env: dict[str, bool], base: Ex) -> Ex:
        self.expect("{")
        items = []
        while not self.at("}"):
            if self.accept("."):
                if self.at("*"):
                    self.fail("x {.*} is not allowed: name the properties you need, x {.a, .b}")
                key = self.ident("a property name")
                items.append(f"{key}: {self.pointer(base.text, key)}" if key in POINTERS else "." + key)
            else:
                key = self.ident("a key")
                if self.accept(":"):
                    items.append(f"{key}: {self.expr(env).text}")
                else:
                    items.append(_name(key))
            if not self.accept(","):
                break
        self.expect("}")
        return Ex(f"{base.text} {{{', '.join(items)}}}")

    def atom(self, env: dict[str, bool]) -> Ex:
        t = self.peek()
        if t.kind == "number":
            self.next()
            return Ex(t.value, "lit")
        if t.kind == "string":
            self.next()
            return Ex(_quote(t.value), "lit")
        if t.kind == "param":
            self.next()
            self.params.add(t.value)
            return Ex(f"${t.value}", "param")
        if t.kind == "placeholder":
            self.next()
            fn = PLACEHOLDERS.get(t.value)
            if fn is None:
                self.fail(f"unknown placeholder {{{{{t.value} ...}}}}; use one of {', '.join(sorted(PLACEHOLDERS))}",
                          here=False)
            assert fn is not None
            try:
                text = fn(t.extra)
            except ValueError as exc:
                raise GuardError(str(exc)) from None
            self.fragments.append((t.extra, text))
            return Ex(text)
        if t.kind == "punct":
            if t.value == "(":
                self.next()
                inner = self.expr(env)
                self.expect(")")
                return Ex(f"({inner.text})" if inner.tag in ("lit", "param", "var", "prop") else inner.text,
                          inner.tag if inner.tag != "var" else "expr")
            if t.value == "[":
                return self.list_(env)
            if t.value == "{":
                return self.map_literal(env)
            self.fail("expected an expression")
        if t.kind != "ident":
            self.fail("expected an expression")
        word = t.value.upper()
        if word in ("TRUE", "FALSE", "NULL"):
            self.next()
            return Ex(word.lower() if word != "NULL" else "null", "lit")
        if word == "CASE":
            return self.case(env)
        if word in ("EXISTS", "COUNT", "COLLECT") and self.at("{", 1):
            return self.subquery(env)
        if word in ("ANY", "ALL", "NONE", "SINGLE") and self.at("(", 1) and self.peek(2).kind == "ident" \
                and self.is_kw("IN", 3):
            return self.quantified(env)
        if word == "REDUCE" and self.at("(", 1):
            return self.reduce(env)
        if word in ("SHORTESTPATH", "ALLSHORTESTPATHS"):
            self.fail(f"{t.value}() is not supported: write SHORTEST 1 (a) ((x:Label)-[r]-(y:Label)){{1,n}} (b)",
                      here=False)
        # A function call: name, or namespace.name, then '('.
        j, name = 1, t.value
        while self.at(".", j) and self.peek(j + 1).kind == "ident":
            name += "." + self.peek(j + 1).value
            j += 2
        if self.at("(", j):
            self.i += j
            return self.function(env, name)
        if word in WRITE_CLAUSES or word in ("WHERE", "RETURN", "MATCH", "WITH", "UNWIND", "AS", "THEN", "ELSE",
                                             "END", "WHEN", "AND", "OR", "XOR", "IN", "IS"):
            self.fail("expected an expression")
        self.next()
        if not _IDENT.match(t.value) or "__" in t.value:
            self.fail(f"no variable {t.value!r} can be named here", here=False)
        return Ex(_name(t.value), "var", t.value)

    def function(self, env: dict[str, bool], name: str) -> Ex:
        low = name.lower()
        if low in ("properties", "keys"):
            self.fail(f"{name}() is not allowed: name the properties you need (x.a, or x {{.a, .b}}), so each "
                      "one can be checked", here=False)
        if low not in FUNCTIONS:
            self.fail(f"the function {name}() is not allowed in saved queries", here=False)
        self.expect("(")
        if low == "count" and self.at("*"):
            self.next()
            self.expect(")")
            return Ex("count(*)")
        distinct = ""
        if self.accept_kw("DISTINCT"):
            if low not in AGGREGATES:
                self.fail("DISTINCT goes only inside an aggregate such as count() or collect()")
            distinct = "DISTINCT "
        args = []
        while not self.at(")"):
            if self.at_kw("BOTH", "LEADING", "TRAILING") and low == "trim":
                self.fail("write trim(x), ltrim(x) or rtrim(x)")
            args.append(self.expr(env).text)
            if not self.accept(","):
                break
        self.expect(")")
        return Ex(f"{name}({distinct}{', '.join(args)})", "list" if low in _LIST_FUNCTIONS else "expr")

    def case(self, env: dict[str, bool]) -> Ex:
        self.expect_kw("CASE")
        subject = None if self.at_kw("WHEN") else self.expr(env).text
        arms = []
        while self.accept_kw("WHEN"):
            when = self.expr(env).text
            if self.at(","):
                self.fail("write one value per WHEN")
            self.expect_kw("THEN")
            arms.append(f"WHEN {when} THEN {self.expr(env).text}")
        if not arms:
            self.fail("a CASE needs at least one WHEN ... THEN ...")
        other = f" ELSE {self.expr(env).text}" if self.accept_kw("ELSE") else ""
        self.expect_kw("END")
        return Ex(f"CASE{' ' + subject if subject else ''} {' '.join(arms)}{other} END")

    def subquery(self, env: dict[str, bool]) -> Ex:
        word = self.next().value.upper()
        self.expect("{")
        inner_env = dict(env)
        if self.at_kw(*_CLAUSE_STARTS) or self.at_kw(*WRITE_CLAUSES):
            self.nested += 1
            body, _ = self.query(inner_env, require_return=word == "COLLECT")
            self.nested -= 1
        else:
            if word == "COLLECT":
                self.fail("COLLECT { } holds a query ending in RETURN")
            pat = _Pattern()
            paths = self.patterns(inner_env, pat)
            inner_env.update(pat.bound)
            cond = self.expr(inner_env).text if self.accept_kw("WHERE") else None
            where = self.guard_where(pat, cond)
            body = f"MATCH {paths}" + (f" WHERE {where}" if where else "")
        self.expect("}")
        return Ex(f"{word} {{ {body} }}", "list" if word == "COLLECT" else "expr")

    def quantified(self, env: dict[str, bool]) -> Ex:
        word = self.next().value.lower()
        self.expect("(")
        var = self.new_name("a variable")
        self.expect_kw("IN")
        source = self.expr(env).text
        inner = {**env, var: False}
        if not self.accept_kw("WHERE"):
            self.fail(f"write {word}(x IN list WHERE condition)")
        cond = self.expr(inner).text
        self.expect(")")
        return Ex(f"{word}({_name(var)} IN {source} WHERE {cond})")

    def reduce(self, env: dict[str, bool]) -> Ex:
        self.next()
        self.expect("(")
        acc = self.new_name("an accumulator")
        self.expect("=")
        init = self.expr(env).text
        self.expect(",")
        var = self.new_name("a variable")
        self.expect_kw("IN")
        source = self.expr(env).text
        self.expect("|")
        step = self.expr({**env, acc: False, var: False}).text
        self.expect(")")
        return Ex(f"reduce({_name(acc)} = {init}, {_name(var)} IN {source} | {step})")

    def _pattern_ahead(self) -> bool:
        """After '[': does a pattern follow (a comprehension) rather than a list of values?"""
        j = 0
        if self.peek(j).kind == "ident" and self.at("=", j + 1):
            j += 2
        if not self.at("(", j):
            return False
        depth = 0
        while True:
            t = self.peek(j)
            if t.kind == "eof":
                return False
            if t.kind == "punct" and t.value in "([{":
                depth += 1
            elif t.kind == "punct" and t.value in ")]}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        a, b = self.peek(j + 1), self.peek(j + 2)
        return a.kind == "punct" and ((a.value == "-" and b.kind == "punct" and b.value in ("[", "-"))
                                      or (a.value == "<" and b.kind == "punct" and b.value == "-"))

    def list_(self, env: dict[str, bool]) -> Ex:
        self.expect("[")
        if self.peek().kind == "ident" and self.is_kw("IN", 1):
            var = self.new_name("a variable")
            self.expect_kw("IN")
            source = self.expr(env).text
            inner = {**env, var: False}
            text = f"[{_name(var)} IN {source}"
            if self.accept_kw("WHERE"):
                text += f" WHERE {self.expr(inner).text}"
            if self.accept("|"):
                text += f" | {self.expr(inner).text}"
            self.expect("]")
            return Ex(text + "]", "list")
        if self._pattern_ahead():
            pat = _Pattern()
            path = self.path(env, pat)
            inner = {**env, **pat.bound}
            cond = self.expr(inner).text if self.accept_kw("WHERE") else None
            where = self.guard_where(pat, cond)
            if not self.accept("|"):
                self.fail("write a pattern comprehension as [(a)-[r:TYPE]->(b:Label) WHERE ... | value]")
            value = self.expr(inner).text
            self.expect("]")
            return Ex(f"[{path}{' WHERE ' + where if where else ''} | {value}]", "list")
        items = []
        while not self.at("]"):
            items.append(self.expr(env))
            if not self.accept(","):
                break
        self.expect("]")
        return Ex(f"[{', '.join(e.text for e in items)}]", "list", args=tuple(items))

    def map_literal(self, env: dict[str, bool]) -> Ex:
        self.expect("{")
        items = []
        while not self.at("}"):
            key = self.ident("a key")
            self.expect(":")
            items.append(f"{key}: {self.expr(env).text}")
            if not self.accept(","):
                break
        self.expect("}")
        return Ex("{" + ", ".join(items) + "}")

    def pointer(self, base: str, key: str) -> str:
        """`base.key` for a property naming other records: the value where it names a record the actor may
        read, else null (a list is narrowed to those uids), as if unreadable records did not exist."""
        value = f"{base}.{key}"
        if key in LIST_POINTERS:
            u, k = self.gen(), self.gen()
            text = (f"CASE WHEN {value} IS NULL THEN null ELSE [{u} IN {value} WHERE EXISTS {{ "
                    f"MATCH ({k}:Linkable {{uid: {u}}}) WHERE {node_readable(k, _KIND_LABELS['Linkable'])} }}] END")
        else:
            k = self.gen()
            text = (f"CASE WHEN EXISTS {{ MATCH ({k}:Linkable {{uid: {value}}}) "
                    f"WHERE {node_readable(k, _KIND_LABELS['Linkable'])} }} THEN {value} END")
        self.fragments.append((k, text))
        return text

    # --- the policy's own names ---------------------------------------------------------------

    _BINDS = (re.compile(r"\(\s*([A-Za-z_]\w*)\s*[:){]"), re.compile(r"\[\s*([A-Za-z_]\w*)\s*[:\]]"),
              re.compile(r"(?<![\w.$])([A-Za-z_]\w*)\s+IN\b"))

    def check_capture(self) -> None:
        """Refuse a variable of the query that is also a name a composed predicate binds inside itself
        (e.g. `s_mc` in the predicate for `s`): the predicate's pattern would match the query's value."""
        for subject, text in self.fragments:
            bound = {m.group(1) for rx in self._BINDS for m in rx.finditer(text)} - {subject}
            clash = sorted(bound & self.user_vars)
            if clash:
                raise GuardError(f"the variable name {clash[0]} is reserved for the access policy; choose another")


def guard(text: str, param_types: dict[str, str] | None = None, *, allow_requests: bool = False) -> Guarded:
    """Check one query body and print it with the access policy composed in; GuardError if it is outside
    the subset. `param_types` are the declared parameters (name -> type); `allow_requests` lets a
    catalogue file name ApprovalRequest."""
    try:
        return _Guard(text, dict(param_types or {}), allow_requests).run()
    except RecursionError:
        raise GuardError("the query nests too deeply to be checked; simplify it") from None
