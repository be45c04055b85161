"""Name frequencies counted over the stored people, and deconfliction weighing names by them."""

from __future__ import annotations

import pytest

from ccms_graph.logic.entities import imports, records
from ccms_graph.logic.identity import deconfliction
from ccms_graph.matching import deconflict, frequencies
from tests.factories import make_person


def _name_weight(graph, actor, record):
    (best, *_) = deconfliction.search_candidates(graph, actor, "Person", record)
    return next(e["weight"] for e in best["explanation"] if e["field"] == "name")


def test_recount_counts_each_stored_persons_names_once_and_skips_deleted(graph, org):
    make_person(graph, org.agent_a, given_name="Ana", family_name="de la Cruz", aliases=["Ana Cruz"])
    make_person(graph, org.agent_a, given_name="Ana", family_name="Vega")
    gone = make_person(graph, org.agent_a, given_name="Zed", family_name="Vega")
    records.delete_entity(graph, org.agent_a, gone["uid"], reason="entered twice")

    counts = frequencies.recount(graph)

    assert counts.total == 2
    assert counts.family == {"cruz": 1, "vega": 1}  # particles dropped, the alias counted once
    assert counts.given == {"ana": 2}
    assert graph.read(frequencies.stored) == counts


def test_deconfliction_weighs_a_name_the_graph_holds_often_less(graph, org):
    # "Okonkwo" is not in the census table: until counted it gets the table's rare-name weight.
    givens = ["Amara", "Bolu", "Chidi", "Dayo", "Emeka", "Funmi", "Gozie", "Hadiza", "Ifeoma", "Jide", "Kemi", "Lanre"]
    for i, given in enumerate(givens):
        make_person(graph, org.agent_b, given_name=given, family_name="Okonkwo", dob=f"19{50 + 3 * i}-0{1 + i % 9}-{10 + i}")
    probe = {"given_name": "Dayo", "family_name": "Okonkwo", "dob": "1959-04-13"}
    before = _name_weight(graph, org.agent_a, probe)

    frequencies.recount(graph)
    ctx = graph.read(lambda tx: deconflict.context(tx, "Person"))
    assert ctx.name_frequency is not None and ctx.population == 12
    after = _name_weight(graph, org.agent_a, probe)

    assert after < before


def test_a_person_import_recounts_when_the_population_has_grown(graph, org):
    make_person(graph, org.agent_a, given_name="Ana", family_name="Vega")
    frequencies.recount(graph)
    lines = [f'{{"given_name": "Ana", "family_name": "Ortega{i}"}}' for i in range(3)]

    imports.import_jsonl(graph, org.agent_a, "Person", lines)

    counts = graph.read(frequencies.stored)
    assert counts.total == 4 and counts.given["ana"] == 4
    assert frequencies.refresh(graph) is None  # fresh now: nothing to do


def _hoffmanns() -> list[str]:
    # A file from a country whose common names the census table does not list: 40 Werner Hoffmanns, each
    # born on another day, and one more with no date. Scored as rare names (the table's weight), the last
    # line would be a `match` of every one of them; counted with the file, the name is common.
    lines = [f'{{"ref": "w{i}", "given_name": "Werner", "family_name": "Hoffmann", '
             f'"dob": "19{40 + i}-0{1 + i % 9}-1{i % 10}"}}' for i in range(40)]
    return ['{"ref": "last", "given_name": "Werner", "family_name": "Hoffmann"}', *lines]


@pytest.mark.parametrize("one_pass", [False, True], ids=["list", "one-pass iterator"])
def test_an_import_weighs_names_by_how_often_its_whole_file_holds_them(graph, org, one_pass):
    lines = _hoffmanns()  # the dateless one first: it is scored against the lines after it as they load
    met: list[dict] = []

    counts = imports.import_jsonl(graph, org.agent_a, "Person", iter(lines) if one_pass else lines, batch=10,
                                  on_hits=met.extend)

    assert counts["created"] == 41 and counts["sub_records"] == 0  # none was settled under another
    assert not [h for line in met for h in line["hits"] if h["decision"] == "match"]


def test_without_the_file_counted_the_same_name_is_weighed_as_rare(graph, org):
    # The control: the same dateless Werner Hoffmann created on its own against the 40 stored (their names
    # not yet counted, as when they arrived through other channels) is a `match`.
    imports.import_jsonl(graph, org.agent_a, "Person", _hoffmanns()[1:], batch=10)
    graph.write(lambda tx: tx.run("MATCH (s:NameStats) DETACH DELETE s").consume())

    hits = deconfliction.search_candidates(graph, org.agent_b, "Person",
                                           {"given_name": "Werner", "family_name": "Hoffmann"})

    assert [h for h in hits if h["decision"] == "match"]
