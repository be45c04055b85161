"""The link explorer: a Cytoscape canvas fed one hop at a time from the policy-filtered neighbours call."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import login_required

from ...logic.casework import documents
from ...logic.entities import access
from ...nodes.vocabulary import DOCUMENT_TYPES, ENTITY_TYPES, LINK_TYPES, SELECTOR_TYPES
from .. import context
from .ui import TYPE_COLOURS

bp = Blueprint("explorer", __name__)


def _node(item: dict, fallback_id: str) -> dict:
    """A Cytoscape node from a record dict or a locked placeholder (no caption, no properties)."""
    if item.get("locked"):
        return {"id": item.get("uid") or fallback_id, "type": item.get("type") or "Record", "label": "Restricted",
                "locked": True}
    props = item.get("props", {})
    return {"id": item["uid"], "type": "Document" if item["type"] in DOCUMENT_TYPES else item["type"], "label": item["caption"] or item["type"], "locked": False,
            "status": props.get("approval_status") or props.get("status"),
            "case_number": props.get("case_number"), "office": props.get("office_code"),
            "at": props.get("incident_date") or props.get("report_date") or props.get("collected_date")}


def graph_elements(near: dict) -> dict:
    """{center, nodes, edges} for the canvas from `access.neighbours`' answer."""
    center = _node(near["center"], near["center"]["uid"])
    nodes, edges = {center["id"]: center}, []
    for i, link in enumerate(near["links"]):
        other = _node(link["other"], f"locked-{center['id']}-{i}")
        nodes.setdefault(other["id"], other)
        src, dst = (center["id"], other["id"]) if link["outgoing"] else (other["id"], center["id"])
        info = link.get("link") or {}
        edges.append({"id": info.get("uid") or f"{src}-{link['type']}-{dst}", "source": src, "target": dst,
                      "type": link["type"], "reason": info.get("reason"), "count": info.get("count"),
                      # when the link was made (a call link: its first and last call), for the time bar's brush
                      "at": info.get("first_at") or info.get("created_at"),
                      "at_end": info.get("last_at") or info.get("created_at")})
    return {"center": center["id"], "nodes": list(nodes.values()), "edges": edges}


#: Links loaded per expansion: the logic's ceiling, so a hub's neighbourhood arrives in one answer.
NEIGHBOUR_LIMIT = 1000


@bp.route("/explore")
@login_required
def explorer_page():
    start = request.args.get("start", "").strip()
    return render_template("explorer.html", start=start, link_types=sorted(LINK_TYPES), limit=NEIGHBOUR_LIMIT,
                           node_types=[*ENTITY_TYPES, "Case", *SELECTOR_TYPES, "Document"], colours=TYPE_COLOURS)


@bp.route("/ui/graph/neighbours/<uid>")
@login_required
def neighbours(uid: str):
    link_type = request.args.get("type") or None
    limit = request.args.get("limit", 300, type=int)
    near = access.neighbours(context.graph(), context.actor(), uid, link_types=[link_type] if link_type else None,
                             limit=limit)
    elements = graph_elements(near)
    _with_photos(elements["nodes"])
    return jsonify({**elements, "truncated": len(near["links"]) >= limit})


def _with_photos(nodes: list[dict]) -> None:
    """A readable person's newest photo as its node's picture (`photo_url`; the photo route checks and audits)."""
    persons = [n["id"] for n in nodes if n["type"] == "Person" and not n["locked"]]
    photos = documents.photos_of(context.graph(), persons) if persons else {}
    for n in nodes:
        if photos.get(n["id"]):
            n["photo_url"] = url_for("documents.photo", uid=n["id"], att=photos[n["id"]][0]["uid"])


@bp.route("/ui/graph/path")
@login_required
def shortest_path():
    """The shortest path between two records over everything the actor may read (`access.shortest_path`)."""
    result = access.shortest_path(context.graph(), context.actor(), request.args.get("from", ""),
                                  request.args.get("to", ""))
    nodes = [{"id": n["id"], "type": n["type"], "label": n.get("caption") or n["type"], "locked": n["locked"]}
             for n in result["nodes"]]
    edges = [{"id": e.get("uid") or f"{e['source']}-{e['type']}-{e['target']}", "source": e["source"],
              "target": e["target"], "type": e["type"]} for e in result["edges"]]
    return jsonify({"available": True, "found": bool(nodes), "nodes": nodes, "edges": edges})
