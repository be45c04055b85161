"""Disclosure accounting in the style of DHS Form 191: each external disclosure recorded on its case, listed and exported.

A disclosure record is never edited: a correction is a new record. It names the date, the nature
and description of what was disclosed, the purpose, the recipient agency with its address, the
disclosing user, and the Subject Records it covered, so it can be listed per case and per subject.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from marshmallow import Schema, fields, validate, validates
from marshmallow import ValidationError as SchemaError

from ...db import Graph
from ...errors import ValidationFailed
from ...policy import rules
from ...policy.actor import Actor
from ..common import csv_safe, load_input, new_uid, plain
from ..oversight import audit

METHODS = ("electronic", "paper", "email", "in_person", "telephone", "other")


class DisclosureInput(Schema):
    disclosed_on = fields.Date(required=True, metadata={"label": "Date of disclosure"})
    nature = fields.String(required=True, validate=validate.Length(min=3, max=300),
                           metadata={"label": "Nature of the information"})
    description = fields.String(required=True, validate=validate.Length(min=3, max=10_000),
                                metadata={"label": "Description of the information"})
    purpose = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    recipient_agency = fields.String(required=True, validate=validate.Length(min=2, max=300))
    recipient_address = fields.String(required=True, validate=validate.Length(min=5, max=1000))
    recipient_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    authority = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                              metadata={"label": "Authority (routine use or statute)"})
    method = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(METHODS))
    subject_uids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                               validate=validate.Length(max=500))

    @validates("disclosed_on")
    def _not_future(self, value, **kwargs):
        if value > datetime.now(UTC).date():
            raise SchemaError("a disclosure cannot be dated in the future")


#: Columns of the CSV export, in order.
CSV_COLUMNS = ("uid", "case_number", "disclosed_on", "nature", "description", "purpose", "recipient_agency",
               "recipient_address", "recipient_name", "authority", "method", "disclosed_by_name",
               "disclosed_by", "recorded_at", "subject_uids")

_CREATE = """
MATCH (c:Case {uid: $case_uid})
CREATE (d:Disclosure)
SET d = $props, d.recorded_at = datetime(), d.case_number = c.case_number
CREATE (d)-[:DISCLOSED_FROM]->(c)
SET c.last_activity_at = datetime()
WITH d
UNWIND $subjects AS s_uid
MATCH (s:SubjectRecord {uid: s_uid})
CREATE (d)-[:COVERS]->(s)
RETURN count(*) AS n
"""


def record_disclosure(graph: Graph, actor: Actor, case_uid: str, data: dict) -> dict:
    """Record one external disclosure on a case (anyone who may write the case); audited as "disclose"."""
    clean = load_input(DisclosureInput(), data)
    subjects = sorted(set(clean["subject_uids"]))
    uid = new_uid()
    props = {**{k: v for k, v in clean.items() if v is not None and k != "subject_uids"},
             "uid": uid, "case_uid": case_uid, "disclosed_on": clean["disclosed_on"].isoformat(),
             "disclosed_by": actor.uid, "disclosed_by_name": actor.name, "subject_uids": subjects}

    def work(tx):
        rules.require_read(tx, actor, case_uid, ("Case",), "case")
        rules.require_case_write(tx, actor, case_uid)
        found = {r["uid"] for r in tx.run(
            """MATCH (s:SubjectRecord)-[:SUBJECT_IN]->(:Case {uid: $c}) WHERE s.uid IN $subjects
               RETURN DISTINCT s.uid AS uid""", c=case_uid, subjects=subjects)}
        missing = [s for s in subjects if s not in found]
        if missing:
            raise ValidationFailed({"subject_uids": [f"{s} is not a subject of this case" for s in missing]})
        tx.run(_CREATE, case_uid=case_uid, props=props, subjects=subjects).consume()
        audit.record(tx, actor, "disclose", [uid, case_uid, *subjects],
                     details={"recipient_agency": clean["recipient_agency"], "purpose": clean["purpose"],
                              "nature": clean["nature"], "disclosed_on": props["disclosed_on"]})
        return _get(tx, uid)

    return audit.write_or_refuse(graph, actor, "disclose", [case_uid], work)


def _get(tx, uid: str) -> dict:
    rec = tx.run("MATCH (d:Disclosure {uid: $uid}) RETURN properties(d) AS d", uid=uid).single()
    return plain(rec["d"])


_FOR_CASE = """
MATCH (d:Disclosure)-[:DISCLOSED_FROM]->(:Case {uid: $uid})
RETURN properties(d) AS d ORDER BY d.disclosed_on, d.recorded_at
"""

_FOR_SUBJECT = """
MATCH (d:Disclosure)-[:COVERS]->(:SubjectRecord {uid: $uid})
RETURN properties(d) AS d ORDER BY d.disclosed_on, d.recorded_at
"""


def disclosures_for_case(graph: Graph, case_uid: str) -> list[dict]:
    """Every disclosure recorded on a case, oldest first. Access checks are the caller's."""
    return [plain(r["d"]) for r in graph.query(_FOR_CASE, {"uid": case_uid})]


def disclosures_for_subject(graph: Graph, subject_uid: str) -> list[dict]:
    """Every disclosure that covered a Subject Record, in any case, oldest first. Access checks are the caller's."""
    return [plain(r["d"]) for r in graph.query(_FOR_SUBJECT, {"uid": subject_uid})]


def to_csv(rows: list[dict]) -> str:
    """Disclosure records as CSV text with a header row (CSV_COLUMNS)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**{k: csv_safe(row.get(k) or "") for k in CSV_COLUMNS},
                         "subject_uids": csv_safe(" ".join(row.get("subject_uids") or []))})
    return buf.getvalue()


def export_csv(graph: Graph, actor: Actor, *, case_uid: str | None = None, subject_uid: str | None = None) -> str:
    """Export the disclosures of one case or one subject as CSV, audited as "export" before any data leaves.

    Auditors may export any; others must be able to write the case (or the Subject Record). NotFound
    for a case or subject that does not exist (or whose existence is hidden from the actor).
    """
    if (case_uid is None) == (subject_uid is None):
        raise ValidationFailed({"case_uid": ["export the disclosures of one case or of one subject"]})
    kind, what = ("Case", "case") if case_uid else ("SubjectRecord", "subject record")

    def work(tx):
        rules.require_read(tx, actor, case_uid or subject_uid, (kind,), what)
        if not actor.is_auditor:
            if case_uid:
                rules.require_case_write(tx, actor, case_uid)
            else:
                rules.require_record_write(tx, actor, subject_uid)
        query, key = (_FOR_CASE, case_uid) if case_uid else (_FOR_SUBJECT, subject_uid)
        rows = [plain(r["d"]) for r in tx.run(query, uid=key)]
        audit.record(tx, actor, "export", [key], details={"what": "disclosures", "format": "csv",
                                                          "rows": len(rows)})
        return rows

    return to_csv(audit.write_or_refuse(graph, actor, "export_disclosures", [case_uid or subject_uid], work))
