"""Template helpers shared by every page: the navigation badge, value formatting and the type vocabulary."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from flask_login import current_user
from markupsafe import Markup, escape

from ...logic.oversight import notifications
from ...matching.identifiers import UNVERIFIED, canonical_kind, is_unverified
from ...nodes.vocabulary import ENTITY_TYPES, HAND_DRAWN_LINK_TYPES, LINK_TYPES, RecordType
from .. import context

#: Node colours of the link explorer and the legend (one per type; locked placeholders are grey).
TYPE_COLOURS = {
    "Person": "#1f6fb2", "Business": "#7a3db8", "Vehicle": "#b35c00", "Vessel": "#00758a",
    "Aircraft": "#3d6b00", "Thing": "#8a5a44", "Case": "#b42318", "Phone": "#c2185b", "Email": "#5d4037",
    "Address": "#2e7d32", "SocialHandle": "#6a1b9a", "Identifier": "#546e7a", "Document": "#455a64",
    "BankAccount": "#00695c", "CryptoWallet": "#f57f17", "PaymentHandle": "#283593",
    "IMSI": "#ad1457", "IMEI": "#4e342e", "IPAddress": "#0277bd",
}


def show(value) -> Markup | str:
    """A property value for display: lists joined, dates trimmed, empty as a dash."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v.get("value", v) if isinstance(v, dict) else v) for v in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime | date):
        return value.isoformat()[:16].replace("T", " ")
    return str(value)


def identifier_list(value, rtype: RecordType | None = None) -> str:
    """A record's `identifiers` (stored as JSON text) as "type: value" pairs; one an import kept though it
    failed its kind's checks is named by its field's label and marked: "VIN (unverified): 1HGCM82633A00435"."""
    try:
        items = json.loads(value) if isinstance(value, str) and value else (value or [])
    except ValueError:
        return str(value)
    labels = {f.identifier: f.label for f in rtype.identifier_fields} if rtype is not None else {}
    out = []
    for x in items if isinstance(items, list) else []:
        if not isinstance(x, dict):
            continue
        kind = str(x.get("type") or "")
        if is_unverified(kind):
            base = canonical_kind(kind)[:-len(UNVERIFIED)]
            kind = f"{labels.get(base, base)} (unverified)"
        out.append(f"{kind}: {x.get('value', '')}")
    return ", ".join(out) or "—"


def when(value) -> str:
    """An ISO timestamp shortened to minutes, for tables."""
    if not value:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:16].replace("T", " ")


def humanize(name: str | None) -> str:
    """snake_case or CamelCase as words: "ReportOfInvestigation" -> "Report of investigation"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name or "").replace("_", " ").capitalize()


def counted(number: int | None, noun: str) -> str:
    """A count with its noun, singular for one: "1 record", "2,301 records"."""
    n = number or 0
    return f"{n:,} {noun if n == 1 else noun + 's'}"


def status_badge(status: str | None) -> Markup:
    s = escape(status or "unknown")
    return Markup(f'<span class="status status-{s}">{escape(humanize(status or "unknown"))}</span>')


def init_app(app) -> None:
    app.add_template_filter(show, "show")
    app.add_template_filter(identifier_list, "identifiers")
    app.add_template_filter(when, "when")
    app.add_template_filter(humanize, "humanize")
    app.add_template_filter(status_badge, "status")
    app.add_template_filter(counted, "counted")

    @app.context_processor
    def _ui():
        unread = 0
        if current_user.is_authenticated:
            try:
                unread = notifications.unread_count(context.graph(), current_user.actor)
            except Exception:  # a badge must never break a page (e.g. the database is down: the page says so)
                unread = 0
        return {"unread_count": unread, "ENTITY_TYPES": ENTITY_TYPES, "LINK_TYPES": LINK_TYPES,
                "HAND_DRAWN_LINK_TYPES": HAND_DRAWN_LINK_TYPES, "TYPE_COLOURS": TYPE_COLOURS}
