"""The scheduled tasks a worker runs: each `(graph, settings, previous result) -> result`.

Retention is *reported*, not applied. `casework.retention.apply_retention` deletes cases, documents,
attachment bytes and the start of the audit chain, irreversibly. Run on a timer it would act on
whatever the clock and the stored closure dates say, with nobody deciding: a wrong system clock, a
mis-entered closure date or a legal hold (which the schedule does not model) would destroy records
that must be kept. So the daily task lists what is eligible (`retention_candidates`, as
`ccms-graph retention --dry-run` does) and tells the administrators when that list changes; an
administrator then runs `ccms-graph retention`, which removes exactly what is eligible and audits it.
"""

from __future__ import annotations

from ...db import Graph
from ...settings import Settings
from ..casework import retention
from ..oversight import notifications
from . import plans

_ADMINS = """
MATCH (u:User {role: 'admin'}) WHERE coalesce(u.active, true) AND u.separated_at IS NULL
RETURN u.uid AS uid ORDER BY uid
"""


def deliver_notifications(graph: Graph, settings: Settings, previous: dict | None) -> dict:
    """Email pending notifications, one digest per recipient (nothing without an SMTP host)."""
    return {"sent": notifications.deliver_pending(graph, settings)}


def warm_plans(graph: Graph, settings: Settings, previous: dict | None) -> dict:
    """Plan the product's heavy reads before a user needs them (`plans.warm`)."""
    return plans.warm(graph)


def retention_report(graph: Graph, settings: Settings, previous: dict | None) -> dict:
    """Count what is past its retention period; tell every active administrator when that changed."""
    counts = retention.counts(retention.retention_candidates(graph))
    told = 0
    if any(counts.values()) and counts != (previous or {}).get("counts"):
        what = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n)
        message = (f"Past their retention period: {what}. Review them with `ccms-graph retention --dry-run` "
                   "and remove them with `ccms-graph retention`.")

        def work(tx):
            admins = [r["uid"] for r in tx.run(_ADMINS)]
            for uid in admins:
                notifications.notify(tx, uid, "system", message=message)
            return len(admins)

        told = graph.write(work)
    return {"counts": counts, "told": told}
