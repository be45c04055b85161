"""GET /api/v1/map/features and /api/v1/map/timeline: a case's points, a hidden case answered as a missing one,
bad areas and dates refused naming the field (never a 500)."""

from __future__ import annotations

import pytest

from tests.logic.location.test_map_timeline import scene  # noqa: F401 (the fixture)


def test_a_case_map_and_its_time_bar(graph, org, as_user, scene):  # noqa: F811
    api = as_user(org.agent_a)
    case = scene["a"]["uid"]
    body = api.get(f"map/features?case={case}").get_json()
    assert body["total"] == 5 and body["by_kind"]["sighting"] == 3, body
    narrowed = api.get(f"map/features?case={case}&since=2026-03-01&until=2026-03-31").get_json()
    assert narrowed["by_kind"]["sighting"] == 1
    bar = api.get(f"map/timeline?case={case}&bucket=month&since=2026-01-01&until=2026-06-30").get_json()
    assert bar["totals"]["sighting"] == 3 and len(bar["buckets"]) == 6
    selection = api.get(f"map/timeline?uids={scene['car']['uid']},nothing-here").get_json()
    assert selection["totals"]["sighting"] == 3  # the restricted case's fourth sighting is not counted
    assert api.get("map/features?bbox=-80.5,25.5,-79.9,26.0").get_json()["by_kind"]["sighting"] == 3


def test_a_hidden_case_answers_404(graph, org, as_user, scene):  # noqa: F811
    api = as_user(org.agent_a)
    for path in (f"map/features?case={scene['b']['uid']}", f"map/timeline?case={scene['b']['uid']}"):
        resp = api.get(path)
        assert resp.status_code == 404 and "Informant" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(("query", "field"), [
    ("bbox=-80,26,-81,25", "bbox"),
    ("bbox=-80,25,-79,24", "bbox"),
    ("bbox=-80,25,-79,95", "bbox"),
    ("bbox=west,south,east,north", "bbox"),
    ("bbox=1,2,3", "bbox"),
    ("", "bbox"),
    ("bbox=-81,25,-80,26&since=yesterday", "since"),
    ("bbox=-81,25,-80,26&until=2026-02-30", "until"),
    ("bbox=-81,25,-80,26&since=2026-03-01&until=2026-02-01", "until"),
    ("case=abc&uids=def", "uids"),
])
def test_bad_areas_and_dates_are_refused_naming_the_field(org, as_user, query, field):
    api = as_user(org.agent_a)
    for path in ("map/features", "map/timeline"):
        resp = api.get(f"{path}?{query}")
        assert resp.status_code == 422, (path, query, resp.get_json())
        assert field in resp.get_json()["errors"], resp.get_json()
    bad_bucket = api.get("map/timeline?bbox=-81,25,-80,26&bucket=hourly")
    assert bad_bucket.status_code == 422 and "bucket" in bad_bucket.get_json()["errors"]
