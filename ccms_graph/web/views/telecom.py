"""The case's TLS tab: its telecom returns as an analyst reads them (`logic.identity.telecom_analysis`).

One page view is one audited read: the figures, the tables and the calls-per-day chart (drawn in the
browser by static/js/telecom.js with Chart.js, from the figures the page carries in a data attribute) all
come from a single `telecom_analysis.summary` call. A reader of the case who may change it also gets the
three upload forms (calls, subscribers, miscellaneous records), each one `telecom` import.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required

from ...errors import ValidationFailed
from ...logic.common import text_of
from ...logic.identity import telecom, telecom_analysis
from .. import context
from .helpers import act

bp = Blueprint("telecom", __name__)

#: The upload forms: kind -> (import function, what the page calls it).
IMPORTS = {"cdr": (telecom.import_cdr, "call detail records"),
           "subscribers": (telecom.import_subscribers, "subscriber records"),
           "misc": (telecom.import_misc, "miscellaneous records")}


@bp.route("/cases/<uid>/telecom")
@login_required
def case_telecom(uid: str):
    tls = telecom_analysis.summary(context.graph(), context.actor(), uid)  # load-and-authorize; audited
    return render_template("case_telecom.html", tls=tls, imports=IMPORTS,
                           chart={"days": [d["day"] for d in tls["per_day"]],
                                  "calls": [d["calls"] for d in tls["per_day"]]})


def _text(kind: str) -> str:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed({"file": ["choose a CSV file"]})
    return text_of(upload.read())[0]


def _done(out: object) -> str:
    result = out if isinstance(out, dict) else {}
    return (f"Loaded {result['loaded']} of {result['rows']} rows; {len(result['refused'])} refused"
            + "".join(f" (row {r['row']}: {r['reason']})" for r in result["refused"][:5])
            + f"; {len(result['duplicates'])} already loaded; {result['alerts']} alerts sent.")


@bp.route("/cases/<uid>/telecom/<any(cdr, subscribers, misc):kind>", methods=["POST"])
@login_required
def upload(uid: str, kind: str):
    fn = IMPORTS[kind][0]
    upload = request.files.get("file")
    name = upload.filename if upload is not None else None
    return act(lambda: fn(context.graph(), context.actor(), uid, _text(kind), filename=name), _done,
               url_for("telecom.case_telecom", uid=uid))
