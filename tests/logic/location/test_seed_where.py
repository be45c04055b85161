"""The sandbox seed's where and when: geocoded addresses and reports in their office's area, cell sites, and
LPR sightings that are all case-bound (a case vehicle's plate, or the seeded hot list)."""

from __future__ import annotations

from seed import sandbox


def test_the_seed_carries_points_cell_sites_and_case_bound_sightings(graph):
    counts = sandbox.load(graph, "seed-test-pass")
    assert counts["cell_sites"] == 12 and counts["hot_lists"] == 1 and counts["sightings"] > 20
    unplaced = graph.query("MATCH (a:Address) WHERE a.location IS NULL RETURN count(a) AS n")
    assert unplaced == [{"n": 0}] and counts["geocoded_addresses"] > 0
    # Each address lies within its office's area (its state's field office centre, +-0.12 degrees).
    far = graph.query("""MATCH (a:Address) WITH a, CASE a.state WHEN 'FL' THEN point({latitude: 25.7617, longitude: -80.1918})
                         WHEN 'NY' THEN point({latitude: 40.7128, longitude: -74.006})
                         ELSE point({latitude: 29.7604, longitude: -95.3698}) END AS centre
                         WHERE point.distance(a.location, centre) > 20000 RETURN count(a) AS n""")
    assert far == [{"n": 0}]
    assert graph.query("MATCH (d:Document) WHERE (d:ArrestReport OR d:SeizureReport) AND d.location IS NULL "
                       "RETURN count(d) AS n") == [{"n": 0}]
    assert graph.query("MATCH (c:CellSite) WHERE c.location IS NOT NULL RETURN count(c) AS n") == [{"n": 12}]
    # Every sighting is tied to its case: by a vehicle of that case with the plate, or by the case's hot list.
    loose = graph.query("""MATCH (s:Sighting)
                           WHERE NOT EXISTS { MATCH (s)-[:SIGHTING_OF]->(v:Vehicle)-[:SUBJECT_IN]->(:Case {uid: s.case_uid}) }
                             AND NOT EXISTS { MATCH (h:HotListEntry {case_uid: s.case_uid, plate_key: s.plate_key}) }
                           RETURN count(s) AS n""")
    assert loose == [{"n": 0}]
    assert graph.query("MATCH (s:Sighting {bound_by: 'hot_list'}) RETURN count(s) AS n") == [{"n": 2}]
    # The explorer journey's case is left as it was.
    assert graph.query("MATCH (s:Sighting {case_uid: 'case-001'}) RETURN count(s) AS n") == [{"n": 0}]
