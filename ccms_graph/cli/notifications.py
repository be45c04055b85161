"""`ccms-graph notifications deliver`: send pending notifications as one email digest per recipient."""

from __future__ import annotations

from ..db import get_graph
from ..logic.oversight import notifications
from ..settings import load_settings


def _deliver(args) -> int:
    settings = load_settings()
    if not settings.smtp_host:
        print("CCMS_SMTP_HOST is not set; notifications stay in the in-app inbox")
        return 0
    sent = notifications.deliver_pending(get_graph(settings), settings)
    print(f"{sent} digest email(s) sent")
    return 0


def register(sub) -> None:
    p = sub.add_parser("notifications", help="deliver pending notifications by email")
    p.add_argument("action", choices=["deliver"])
    p.set_defaults(func=_deliver)
