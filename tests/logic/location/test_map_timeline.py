"""The map and the time bar (logic/location/map.py, timeline.py) against the real Neo4j: a case's located
things, a hidden point neither drawn nor counted, the time filter, grid clusters, counts by kind, and a case's
calls found from the case (KEPT_FOR) and by index seeks, never a label scan."""

from __future__ import annotations

import pytest

from ccms_graph.errors import NotFound, ValidationFailed
from ccms_graph.logic.casework import documents
from ccms_graph.logic.entities import links, records
from ccms_graph.logic.identity import telecom
from ccms_graph.logic.location import lpr, plates, timeline
from ccms_graph.logic.location import map as geo
from tests.factories import make_person
from tests.logic.casework.helpers import open_case, restrict
from tests.logic.location.plans import SCANS, label_scans, operators

MIAMI = (25.7743, -80.1937)
AREA = (-80.5, 25.5, -79.9, 26.0)  # west, south, east, north around Miami


def sighting(graph, vehicle_uid: str, n: int, lat: float, lon: float, seen: str, case_uid: str):
    """An LPR read of the vehicle kept for `case_uid`, stored by the LPR import's own statement (`lpr.insert`)."""
    plate = graph.query("MATCH (v:Vehicle {uid: $v}) RETURN v.plate AS p, v.plate_state AS s", {"v": vehicle_uid})[0]
    read = f"{vehicle_uid}-{n}"
    row = {"fp": f"{read}:{case_uid}", "read": read, "plate": plate["p"], "state": plate["s"],
           "key": plates.key(plate["p"], plate["s"]), "seen_at": seen, "lat": lat, "lon": lon, "camera": f"cam-{n}",
           "source": "test feed", "case_uid": case_uid, "bound_by": "vehicle", "row": n + 2, "vehicles": [vehicle_uid]}
    graph.write(lambda tx: lpr.insert(tx, [row], "test-import", "tests"))


@pytest.fixture
def scene(graph, org):
    """Case A (agent_a): a subject living at a geocoded address, a vehicle seen three times (January,
    March, May 2026), a located arrest. Case B (agent_b, restricted): a sighting of the same vehicle."""
    a = open_case(graph, org.agent_a, org.sup_mia, title="Harbour")
    b = open_case(graph, org.agent_b, org.sup_mia, title="Informant")
    make_person(graph, org.agent_a, case_uid=a["uid"], given_name="Ana", family_name="Reyes",
                addresses=[{"line1": "1 Ocean Dr", "city": "Miami", "state": "FL",
                            "latitude": MIAMI[0], "longitude": MIAMI[1]}])
    car = records.create_entity(graph, org.agent_a, "Vehicle", {"plate": "ABC123", "plate_state": "FL", "make": "Ford"},
                                case_uid=a["uid"])
    for n, seen in enumerate(("2026-01-10T10:00:00Z", "2026-03-15T12:00:00Z", "2026-05-20T08:30:00Z")):
        sighting(graph, car["uid"], n, 25.77 + n / 100, -80.19, seen, a["uid"])
    documents.create_document(graph, org.agent_a, a["uid"], "ArrestReport", {
        "title": "Arrest at the marina", "incident_date": "2026-03-16", "latitude": 25.78, "longitude": -80.18})
    sighting(graph, car["uid"], 9, 25.8, -80.2, "2026-03-20T09:00:00Z", b["uid"])
    restrict(graph, org.agent_b, org.sup_mia, b["uid"])
    return {"a": a, "b": b, "car": car}


def kinds(out):
    return sorted(f["kind"] for f in out["features"])


def test_a_case_map_draws_its_address_sightings_and_arrest(graph, org, scene):
    out = geo.features(graph, org.agent_a, case_uid=scene["a"]["uid"])
    assert kinds(out) == ["address", "arrest", "sighting", "sighting", "sighting"]
    assert out["total"] == 5 and out["by_kind"]["sighting"] == 3 and not out["clustered"]
    address = next(f for f in out["features"] if f["kind"] == "address")
    assert (address["lat"], address["lon"]) == MIAMI and "Ocean" in address["label"]
    audit = graph.query("MATCH (e:AuditEntry {action: 'view'}) WHERE e.details CONTAINS '\"op\": \"map\"' "
                        "RETURN e.targets AS t")
    assert [scene["a"]["uid"]] in [r["t"] for r in audit]


def test_a_restricted_cases_sighting_is_neither_drawn_nor_counted(graph, org, scene):
    # agent_a reads case A; the vehicle's fourth sighting belongs to restricted case B (agent_b's)
    mine = geo.features(graph, org.agent_a, case_uid=scene["a"]["uid"])
    area = geo.features(graph, org.agent_a, bbox=AREA)
    clusters = geo.features(graph, org.agent_a, case_uid=scene["a"]["uid"], bbox=AREA)
    for out in (mine, area, clusters):
        assert out["by_kind"]["sighting"] == 3, out
        assert (25.8, -80.2) not in [(f["lat"], f["lon"]) for f in out["features"]]
    # its own team sees it in the area
    assert geo.features(graph, org.agent_b, bbox=AREA)["by_kind"]["sighting"] == 4
    # and the time bar does not count it either
    bar = timeline.timeline(graph, org.agent_a, uids=[scene["car"]["uid"]])
    assert bar["totals"]["sighting"] == 3
    assert timeline.timeline(graph, org.agent_b, uids=[scene["car"]["uid"]])["totals"]["sighting"] == 4


def test_a_selected_record_the_viewer_may_not_read_adds_nothing_to_the_map_or_the_time_bar(graph, org, scene):
    """A selection is narrowed to what the viewer may read before its points and links are gathered: case B's
    (restricted) subject adds neither its address nor its link to the car for agent_a; for agent_b, on B's team,
    it adds both."""
    hidden = make_person(graph, org.agent_b, case_uid=scene["b"]["uid"], given_name="Iris", family_name="Vega",
                         addresses=[{"line1": "9 Bay Rd", "city": "Miami", "state": "FL",
                                     "latitude": 25.76, "longitude": -80.21}])
    links.link(graph, org.agent_b, {"source_uid": hidden["uid"], "target_uid": scene["car"]["uid"], "type": "OWNS",
                                  "reason": "registered owner"})
    chosen = [scene["car"]["uid"], hidden["uid"]]
    assert kinds(geo.features(graph, org.agent_a, uids=chosen)) == ["sighting"] * 3
    assert kinds(geo.features(graph, org.agent_b, uids=chosen)) == ["address"] + ["sighting"] * 4
    def counted(who):
        return {k: n for k, n in timeline.timeline(graph, who, uids=chosen)["totals"].items() if n}
    assert counted(org.agent_a) == {"sighting": 3}
    assert counted(org.agent_b) == {"link": 1, "sighting": 4}


def test_grid_clusters_count_only_readable_points(graph, org, scene, monkeypatch):
    monkeypatch.setattr(geo, "MAX_FEATURES", 2)
    out = geo.features(graph, org.agent_a, bbox=AREA)
    assert out["clustered"] and out["features"] == []
    assert sum(c["count"] for c in out["clusters"]) == out["total"] == 5  # 1 address, 3 sightings, 1 arrest
    assert geo.features(graph, org.agent_b, bbox=AREA)["by_kind"]["sighting"] == 4


def test_the_time_filter_narrows_the_map(graph, org, scene):
    case = scene["a"]["uid"]
    march = geo.features(graph, org.agent_a, case_uid=case, since="2026-03-01", until="2026-03-31")
    assert kinds(march) == ["address", "arrest", "sighting"]  # an address is a place: drawn whatever the period
    spring = geo.features(graph, org.agent_a, case_uid=case, since="2026-03-01")
    assert spring["by_kind"]["sighting"] == 2
    assert geo.features(graph, org.agent_a, case_uid=case, until="2025-12-31")["by_kind"]["sighting"] == 0


def test_the_timeline_buckets_counts_by_kind(graph, org, scene):
    bar = timeline.timeline(graph, org.agent_a, case_uid=scene["a"]["uid"], since="2026-01-01",
                            until="2026-06-30", bucket="month")
    assert bar["bucket"] == "month" and [b["start"] for b in bar["buckets"]][:3] == [
        "2026-01-01", "2026-02-01", "2026-03-01"]
    march = bar["buckets"][2]["counts"]
    assert march["sighting"] == 1 and march["arrest"] == 1
    assert bar["totals"]["sighting"] == 3 and bar["totals"]["arrest"] == 1
    everything = timeline.timeline(graph, org.agent_a, case_uid=scene["a"]["uid"])
    assert everything["totals"]["link"] >= 3  # the subjects' and documents' memberships, made today
    assert everything["totals"]["document"] >= 1  # the opening ROI


def test_a_hidden_case_answers_as_a_missing_one(graph, org, scene):
    with pytest.raises(NotFound):
        geo.features(graph, org.agent_a, case_uid=scene["b"]["uid"])
    with pytest.raises(NotFound):
        timeline.timeline(graph, org.agent_a, case_uid=scene["b"]["uid"])
    with pytest.raises(NotFound):
        geo.features(graph, org.agent_a, case_uid="no-such-case")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"bbox": "-80,26,-81,25"}, "bbox"),  # west > east
    ({"bbox": "-80,26,-79,25"}, "bbox"),  # south > north
    ({"bbox": "-200,25,-79,26"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({}, "bbox"),
    ({"bbox": "-81,25,-80,26", "since": "2026-13-01"}, "since"),
    ({"bbox": "-81,25,-80,26", "since": "2026-03-01", "until": "2026-02-01"}, "until"),
    ({"uids": [f"u{i}" for i in range(geo.MAX_UIDS + 1)]}, "uids"),
])
def test_bad_input_names_the_field(graph, org, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        geo.features(graph, org.agent_a, **kwargs)
    assert field in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        timeline.timeline(graph, org.agent_a, **kwargs)
    assert field in exc.value.errors


def test_an_area_query_seeks_the_point_indexes(graph, org):
    """The area's sightings, reports, addresses and cell sites are found by POINT index seeks, never a label scan."""
    params = geo.params(org.agent_a, "area", None, [], AREA, None, None)
    for query in (geo.EVENTS["area"] + geo._FEATURES, timeline.EVENTS["area"] + timeline._PER_DAY):
        plan = graph.read(lambda tx, q=query: tx.run("EXPLAIN " + q, limit=10, link_types=[], **params).consume().plan)
        ops = operators(plan)
        seeks = " ".join(d for o, d in ops if o == "NodeIndexSeekByRange")
        assert "POINT INDEX s:Sighting(location)" in seeks and "POINT INDEX cs:CellSite(location)" in seeks
        assert not [d for o, d in ops if o in SCANS], ops


#: Case A's calls: two through cell site MIA-1, one with no site. Case B holds the first too, and one through MIA-2.
CALLS_A = """orig,term,start,duration,cell_site,latitude,longitude
305-555-0101,212-555-0199,2026-02-01T10:00:00Z,60,MIA-1,25.77,-80.19
305-555-0101,212-555-0199,2026-02-03T10:00:00Z,60,MIA-1,25.77,-80.19
305-555-0101,212-555-0177,2026-04-01T10:00:00Z,60,,,
"""
CALLS_B = """orig,term,start,duration,cell_site,latitude,longitude
305-555-0101,212-555-0199,2026-02-01T10:00:00Z,60,MIA-1,25.77,-80.19
212-555-0188,305-555-0144,2026-05-01T10:00:00Z,30,MIA-2,25.80,-80.13
"""


@pytest.fixture
def calls(graph, org):
    """Case A (agent_a) and case B (agent_b, same office, readable to both) with the calls above imported."""
    a = open_case(graph, org.agent_a, org.sup_mia, title="Wire A")
    b = open_case(graph, org.agent_b, org.sup_mia, title="Wire B")
    telecom.import_cdr(graph, org.agent_a, a["uid"], CALLS_A)
    telecom.import_cdr(graph, org.agent_b, b["uid"], CALLS_B)
    return {"a": a["uid"], "b": b["uid"]}


def _cell_sites(out) -> list[tuple[str, int]]:
    return sorted((f["uid"], f["n"]) for f in out["features"] if f["kind"] == "cell_site")


def test_a_case_map_and_time_bar_show_the_calls_the_case_holds_and_no_others(graph, org, calls):
    assert _cell_sites(geo.features(graph, org.agent_a, case_uid=calls["a"])) == [("MIA-1", 2)]
    assert _cell_sites(geo.features(graph, org.agent_a, case_uid=calls["b"])) == [("MIA-1", 1), ("MIA-2", 1)]
    assert timeline.timeline(graph, org.agent_a, case_uid=calls["a"])["totals"]["call"] == 3
    assert timeline.timeline(graph, org.agent_a, case_uid=calls["b"])["totals"]["call"] == 2


def test_a_case_map_and_time_bar_find_its_calls_from_the_case_not_by_reading_every_call(graph, org, calls):
    """The case's calls are reached from the case (its KEPT_FOR), never by a label scan of CallRecord, nor of
    CellSite and every call through each site (the plan `$case IN c.case_uids` got on the map)."""
    base = geo.params(org.agent_a, "case", calls["a"], [], None, None, None)
    for query in (geo.EVENTS["case"] + geo._FEATURES, timeline.EVENTS["case"] + timeline._PER_DAY):
        plan = graph.read(lambda tx, q=query: tx.run("PROFILE " + q, limit=10, link_types=timeline._LINK_TYPES,
                                                     **base).consume().profile)
        assert not label_scans(plan, "CallRecord") + label_scans(plan, "CellSite"), operators(plan)
        assert any("KEPT_FOR" in d for _, d in operators(plan)), operators(plan)
