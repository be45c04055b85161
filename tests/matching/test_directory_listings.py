"""Businesses listed by two directories (CSV exports with their own column names), imported and checked
through the command line against a real Neo4j: one place is listed with what it is or where added to its
name ("Harbor Lights Restaurant"), its neighbourhood or "City" in place of its city, an ordinal in
figures, and the same phone. Each is a `match`; the look-alikes (the same line in another town under
another name, a chain's other branch, a name inside another with nothing else shared) are not."""

from __future__ import annotations

import json

import pytest

from ccms_graph.cli import main

STORED = (
    "id,name,addr,city,phone,type\n"
    "A1,harbor lights,2210 w. ocean blvd.,long beach,562/555-0142,seafood\n"
    "A2,casa rosita,88 ninth ave.,new york,212/555-0199,mexican\n"
    "A3,tanaka,415 n. alvarado st.,los angeles,213/555-0177,japanese\n"
    "A4,blue door cafe,1 main st.,reno,775/555-0100,american\n"
    "A5,golden dragon,300 pine st.,seattle,206/555-0111,chinese\n"
)
LISTED = (
    "id,name,addr,city,phone,type\n"
    "B1,harbor lights restaurant,2210 west ocean blvd,belmont shore,562-555-0142,seafood\n"  # neighbourhood
    "B2,casa rosita (new york city),88 9th ave.,new york city,212-555-0199,mexican\n"  # ordinal, 'City'
    "B3,restaurant tanaka,415 alvarado st.,echo park,213-555-0177,sushi\n"  # directional dropped too
    "B4,blue door diner,1 main st.,elko,775-555-3826,diner\n"  # the same line in another town
    "B5,golden dragon express,1200 rainier ave.,seattle,206-555-0123,chinese\n"  # another branch
    "B6,tanaka,77 harbor way,long beach,562-555-0100,japanese\n"  # a namesake across town
)
SAME = {("B1", "A1"), ("B2", "A2"), ("B3", "A3")}


@pytest.fixture
def cli_env(monkeypatch, test_settings):
    monkeypatch.setenv("CCMS_NEO4J_URI", test_settings.neo4j_uri or test_settings.local_bolt_uri)


def test_one_place_listed_by_two_directories_is_a_match_and_its_look_alikes_are_not(graph, org, tmp_path,
                                                                                       capsys, cli_env):
    stored, listed, out = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "b.jsonl"
    stored.write_text(STORED, encoding="utf-8")
    listed.write_text(LISTED, encoding="utf-8")
    assert main(["import", "--type", "business", str(stored), "--owner", "agent_a"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["created"], summary["hits"]) == (5, 0)  # five places, none like another
    graph.query("CALL db.awaitIndexes(60)")
    assert main(["deconflict", "--type", "business", str(listed), "--out", str(out), "--all"]) == 0
    decided = {(line["ref"], c["source_ref"]): (c["decision"], {e["field"]: e["level"] for e in c["explanation"]})
               for line in map(json.loads, out.read_text(encoding="utf-8").splitlines()) for c in line["candidates"]}
    matched = {pair for pair, (decision, _) in decided.items() if decision == "match"}
    assert matched == SAME
    levels = {pair: decided[pair][1] for pair in SAME}
    assert (levels[("B1", "A1")]["name"], levels[("B1", "A1")]["addresses"]) == ("close", "line")
    assert (levels[("B2", "A2")]["name"], levels[("B2", "A2")]["addresses"]) == ("close", "agree")
    assert (levels[("B3", "A3")]["name"], levels[("B3", "A3")]["addresses"]) == ("contained", "line")
    # The same line in another town under a like name, and another branch, are not even `possible`; a
    # namesake across town is worth a call (an exact name alone), never a match.
    assert (decided[("B4", "A4")][0], decided[("B5", "A5")][0], decided[("B6", "A3")][0]) == (
        "no_match", "no_match", "possible")
    assert {pair for pair, (decision, _) in decided.items() if decision != "no_match"} == {*SAME, ("B6", "A3")}
