"""The map page (a case's, or the explorer's selection) with its time bar; the data comes from /api/v1/map."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

bp = Blueprint("geo", __name__)


def _page(case_uid: str = ""):
    """The page is a frame: what it draws is read, under the policy and audited, by the map API's calls."""
    args = request.args
    return render_template("map.html", case_uid=case_uid or args.get("case", "").strip(),
                           uids=args.get("uids", "").strip(), since=args.get("since", "").strip(),
                           until=args.get("until", "").strip())


@bp.route("/cases/<uid>/map")
@login_required
def case_map(uid: str):
    return _page(uid)


@bp.route("/map")
@login_required
def map_page():
    return _page()
