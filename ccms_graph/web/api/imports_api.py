"""Batch import of Subject Records from JSON Lines, one route per entity type, deconflicted as they load."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema

from ...logic.entities import imports
from ...logic.entities.lines import column_map_of
from ...logic.entities.tabular import json_lines
from ...nodes.vocabulary import ENTITY_TYPES
from . import schemas
from .common import Blueprint, actor, graph, uploaded_text

blp = Blueprint("imports", __name__, "/imports", description="JSON Lines imports of Subject Records")


class JsonlUpload(Schema):
    file = Upload(required=True, metadata={"description": "JSON Lines: one object per line, the fields of the "
                                                          "type's create schema plus `ref`; or a file named .csv/.tsv "
                                                          "with a header row naming them (UTF-8; UTF-16 with its "
                                                          "byte-order mark or Windows-1252 are read too)"})


def _import_view(type_name: str):
    slug = ENTITY_TYPES[type_name].slug

    @blp.arguments(schemas.ImportQuery, location="query")
    @blp.arguments(JsonlUpload, location="files")
    @blp.response(200, schemas.ImportOut)
    def view(query, files):
        columns = column_map_of(type_name, query["map"])
        text = uploaded_text(files["file"], "file")
        met: list[dict] = []
        lines = json_lines(text.splitlines(keepends=True), files["file"].filename, columns)
        counts = imports.import_jsonl(graph(), actor(), type_name, lines, case_key=query["case_uid"],
                                      source=query["source"], on_hits=met.extend)
        return {**counts, "hit_lines": imports.first_lines(met), "hit_lines_total": len(met)}

    view.__name__ = f"import_{slug.replace('-', '_')}"
    view.__doc__ = (f"Create {type_name} records from a JSON Lines or CSV file (pending approval, deconflicted); a line "
                    "is refused only when unreadable or unidentifiable, a bad field is dropped with a warning, and a "
                    "malformed identifier (an SSN, a VIN, an IMEI...) is kept as an unverified one with a warning.")
    blp.route(f"/{slug}", methods=["POST"], endpoint=view.__name__)(view)


for _type_name in ENTITY_TYPES:
    _import_view(_type_name)
