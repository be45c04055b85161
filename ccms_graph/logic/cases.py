"""Create cases with readable numbers, add subjects to them, and list and read them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate

from ..errors import NotFound, ValidationFailed
from ..policy.actor import Actor
from . import audit
from .records import new_uid, node_dict


class CaseInput(Schema):
    title = fields.String(required=True, validate=validate.Length(min=3, max=300))
    violations = fields.List(fields.String(validate=validate.Length(min=1, max=120)),
                             load_default=list, validate=validate.Length(max=50))
    predication = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    restricted = fields.Boolean(load_default=False)
    team_uids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                            validate=validate.Length(max=100))


def fiscal_year(day: date) -> int:
    """The US federal fiscal year: FY2027 begins on 1 October 2026."""
    return day.year + 1 if day.month >= 10 else day.year


_NEXT_NUMBER = """
MERGE (s:Sequence {name: $name}) ON CREATE SET s.value = 0
SET s.value = s.value + 1
RETURN s.value AS n
"""


def next_case_number(tx, office_code: str, day: date | None = None) -> str:
    """Office code, fiscal year and sequence, e.g. "MIA-FY27-00012"; the sequence lock makes it unique."""
    fy = fiscal_year(day or datetime.now(UTC).date())
    n = tx.run(_NEXT_NUMBER, name=f"case:{office_code}:{fy}").single()["n"]
    return f"{office_code}-FY{fy % 100:02d}-{n:05d}"


_CREATE_CASE = """
CREATE (c:Case:Linkable)
SET c = $props, c.created_at = datetime(), c.updated_at = datetime(), c.last_activity_at = datetime()
WITH c
MATCH (u:User {uid: $owner})
CREATE (c)-[:OWNED_BY]->(u)
RETURN c
"""


def create_case(graph, actor: Actor, data: dict, status: str = "requested") -> dict:
    """Open a case request (status `requested` until a supervisor approves it)."""
    try:
        clean = CaseInput().load(data)
    except ValidationError as exc:
        raise ValidationFailed(exc.normalized_messages()) from None
    if not actor.office_code:
        raise ValidationFailed({"office_code": ["you belong to no office, so you cannot own a case"]})

    def work(tx):
        number = next_case_number(tx, actor.office_code)
        team = sorted(set(clean["team_uids"]) | {actor.uid})
        props = {
            "uid": new_uid(), "case_number": number, "title": clean["title"].strip(),
            "violations": clean["violations"], "violations_text": " ".join(clean["violations"]),
            "predication": clean["predication"], "restricted": clean["restricted"], "team_uids": team,
            "status": status, "owner_uid": actor.uid, "office_code": actor.office_code,
            "created_by": actor.uid, "updated_by": actor.uid, "approval_status": "pending",
            "source": "manual", "version": 1, "deleted": False,
        }
        rec = tx.run(_CREATE_CASE, props={k: v for k, v in props.items() if v is not None},
                     owner=actor.uid).single()
        audit.record(tx, actor, "create", [props["uid"]], details={"type": "Case", "case_number": number})
        return node_dict(rec["c"], ["Case"])

    return graph.write(work)


def get_case(graph, uid_or_number: str) -> dict:
    """A case with its subjects and documents; NotFound if absent. Access checks are the caller's."""

    def work(tx):
        return tx.run(
            """MATCH (c:Case) WHERE c.uid = $key OR c.case_number = $key
            OPTIONAL MATCH (s:SubjectRecord)-[r:SUBJECT_IN {status: 'active'}]->(c)
            WITH c, collect({node: s, labels: labels(s)}) AS subjects
            OPTIONAL MATCH (d:Document)-[:PART_OF {status: 'active'}]->(c)
            RETURN c, subjects, collect({node: d, labels: labels(d)}) AS documents""",
            key=uid_or_number).single()

    rec = graph.read(work)
    if rec is None:
        raise NotFound(f"no case {uid_or_number}")
    out = node_dict(rec["c"], ["Case"])
    out["subjects"] = [node_dict(x["node"], x["labels"]) for x in rec["subjects"] if x["node"] is not None]
    out["documents"] = [node_dict(x["node"], x["labels"]) for x in rec["documents"] if x["node"] is not None]
    return out


def my_cases(graph, actor: Actor) -> list[dict]:
    """Cases the actor owns or is on the team of, newest activity first."""
    rows = graph.query(
        """MATCH (c:Case) WHERE c.owner_uid = $me OR $me IN c.team_uids
        RETURN c ORDER BY c.last_activity_at DESC LIMIT 500""", {"me": actor.uid})
    return [node_dict(r["c"], ["Case"]) for r in rows]
