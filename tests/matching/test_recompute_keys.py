"""blocking.recompute_keys: records stored before a key existed get their keys rewritten and are found by them."""

from ccms_graph.matching import blocking
from tests.factories import make_person


def _keys(graph, uid):
    return graph.query("MATCH (n:Person {uid: $uid}) RETURN n.match_keys AS k", {"uid": uid})[0]["k"].split()


def test_recompute_rewrites_stale_keys(graph, org):
    people = [make_person(graph, org.agent_a, given_name=g, family_name="Hernandez", dob=f"1943-09-0{i + 1}")
              for i, g in enumerate(("James", "Maria", "Ana"))]
    uids = [p["uid"] for p in people]
    # As if stored before the given-name + year keys existed.
    graph.query("MATCH (n:Person) WHERE n.uid IN $uids SET n.match_keys = 'Person:stale'", {"uids": uids}, write=True)

    assert blocking.recompute_keys(graph, batch=2) == 3

    for p in people:
        assert "Person:stale" not in _keys(graph, p["uid"])
    assert "Person:gfy:JMS|h|1943" in _keys(graph, uids[0])


def test_recomputed_keys_find_a_mistyped_surname_with_a_slipped_date(graph, org):
    stored = make_person(graph, org.agent_a, given_name="James", family_name="Hernandez", dob="1943-09-01")
    graph.query("MATCH (n:Person {uid: $uid}) SET n.match_keys = 'Person:stale'", {"uid": stored["uid"]}, write=True)
    blocking.recompute_keys(graph)
    graph.query("CALL db.awaitIndexes(60)")

    probe = blocking.probe("Person", {"given_name": "James", "family_name": "Hxrnandez", "dob": "1943-09-02"})
    hits = graph.query("CALL db.index.fulltext.queryNodes('match_keys', $q) YIELD node RETURN node.uid AS uid",
                       {"q": probe["keys"]})
    assert stored["uid"] in {h["uid"] for h in hits}
