"""What a query plan does, for tests that prove a query seeks an index instead of reading a whole label."""

from __future__ import annotations

SCANS = ("NodeByLabelScan", "AllNodesScan")


def operators(op) -> list[tuple[str, str]]:
    """A plan's operators (an EXPLAIN `plan` or a PROFILE `profile`), depth first: (operator type, details)."""
    out = [(op["operatorType"].split("@")[0], (op.get("args") or {}).get("Details", ""))]
    for child in op.get("children", []):
        out += operators(child)
    return out


def label_scans(op, label: str) -> list[str]:
    """The details of the operators that read every node of `label` (or every node)."""
    return [d for o, d in operators(op) if o == "AllNodesScan" or (o == "NodeByLabelScan" and f":{label}" in d)]
