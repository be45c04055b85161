"""Shared helpers for the workflow tests: cases in a given state and direct date rewrites for old data."""

from __future__ import annotations

from ccms_graph.logic.casework import approvals, cases, documents, workflows
from ccms_graph.logic.casework.cases import create_case


def new_case(graph, owner, title="Smuggling ring", **extra) -> dict:
    return create_case(graph, owner, {"title": title, **extra})


def with_roi(graph, author, case_uid: str, title: str = "Report of Investigation", **data) -> dict:
    """A request's data naming a new draft ROI of the case (opening and closing are documented in one)."""
    roi = documents.create_document(graph, author, case_uid, "ReportOfInvestigation",
                                    {"title": title, "narrative": "What was done and why."})
    return {**data, "roi_uid": roi["uid"]}


def open_case(graph, owner, approver, title="Smuggling ring", **extra) -> dict:
    """A case taken through request (with its opening ROI) and approval to `open`."""
    case = new_case(graph, owner, title, **extra)
    req = workflows.request_case_action(graph, owner, case["uid"], "open",
                                        with_roi(graph, owner, case["uid"], "Opening"))
    approvals.approve(graph, approver, req["uid"])
    return case


def case_props(graph, uid: str) -> dict:
    return approvals.plain(graph.query("MATCH (c:Case {uid: $u}) RETURN properties(c) AS c", {"u": uid})[0]["c"])


def set_dates(graph, label: str, uid: str, **iso_values) -> None:
    """Rewrite datetime properties of one node directly, to build old data (label from the test's literal)."""
    assert label in ("Case", "User", "ApprovalRequest", "SubjectRecord", "Document")
    for key, value in iso_values.items():
        assert key.isidentifier()
        graph.query(f"MATCH (n:{label} {{uid: $u}}) SET n.{key} = datetime($v)", {"u": uid, "v": value},
                    write=True)


def audit_actions(graph, target_uid: str) -> list[str]:
    rows = graph.query("""MATCH (e:AuditEntry) WHERE $t IN e.targets RETURN e.action AS a ORDER BY e.seq""",
                       {"t": target_uid})
    return [r["a"] for r in rows]


def inbox_kinds(graph, user_uid: str) -> list[str]:
    rows = graph.query("MATCH (n:Notification {recipient_uid: $u}) RETURN n.kind AS k ORDER BY n.created_at",
                       {"u": user_uid})
    return [r["k"] for r in rows]


def restrict(graph, owner, approver, case_uid: str, restricted: bool = True, reason: str = "informant safety") -> dict:
    """Restrict a case (or lift its restriction) as the product does: the owner asks, a supervisor approves."""
    asked = cases.set_restricted(graph, owner, case_uid, restricted, reason)
    approvals.approve(graph, approver, asked["restriction_request"]["request_uid"])
    return asked
