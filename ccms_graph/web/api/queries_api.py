"""Saved queries: the catalogue you may run, runs (JSON or CSV), new versions of your own, and approval."""

from __future__ import annotations

from flask import Response, request

from ... import queries
from . import schemas
from .common import Blueprint, actor, graph

blp = Blueprint("queries", __name__, "/queries", description="Saved queries: catalogue, runs, versions, approval")


@blp.route("", methods=["GET"])
@blp.response(200, schemas.QueryInfoOut(many=True))
def list_queries():
    """The catalogue queries your role may run, your own saved queries, and everyone's approved ones."""
    return [info.to_dict() for info in queries.catalogue(actor(), graph())]


@blp.route("", methods=["POST"])
@blp.arguments(schemas.SaveQueryInput)
@blp.response(201, schemas.SavedVersionOut)
def save_query(data):
    """Save a new version of your own query; it runs for you only until a supervisor approves it."""
    return {"name": data["name"], "version": queries.save_query(graph(), actor(), data["name"], data["text"])}


def _run(name: str, params: dict, version: int | None, sort: str | None, descending: bool,
         export: str | None = None):
    result = queries.run_query(graph(), actor(), name, params, version=version, export=export)
    return result.sorted(sort, descending=descending) if sort else result


@blp.route("/<string(minlength=2, maxlength=63):name>/run", methods=["POST"])
@blp.arguments(schemas.RunQueryInput)
@blp.response(200, schemas.QueryResultOut)
def run_query(data, name):
    """Run a query with its parameters: a table or a graph, policy-checked, audited, owners told."""
    return _run(name, data["params"], data["version"], data["sort"], data["descending"]).to_dict()


#: Query-string names the CSV route reads itself; every other name is one of the query's parameters.
_CSV_OPTIONS = ("version", "sort", "descending")


def _csv_params(name: str) -> dict:
    """The query's parameters from the query string: repeated names (or a `strings` parameter) as lists."""
    lists = {p.name for info in queries.catalogue(actor(), graph()) if info.name == name
             for p in info.params if p.type == "strings"}
    return {key: values if key in lists or len(values) > 1 else values[0]
            for key, values in request.args.lists() if key not in _CSV_OPTIONS}


@blp.route("/<string(minlength=2, maxlength=63):name>/run.csv", methods=["GET"])
@blp.arguments(schemas.RunCsvQuery, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
def run_query_csv(query, name):
    """Run a query and answer CSV (a graph as its node list); parameters go in the query string. Audited
    as an export."""
    result = _run(name, _csv_params(name), query["version"], query["sort"], query["descending"], export="csv")
    return Response(queries.to_csv(result), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{result.name}.csv"'})


@blp.route("/<string(minlength=2, maxlength=63):name>/versions/<int:version>/approve", methods=["POST"])
@blp.response(200, schemas.SavedQueryOut)
def approve_query(name, version):
    """Approve a version of someone else's saved query into the shared catalogue (supervisor or administrator)."""
    return queries.approve_query(graph(), actor(), name, version)
