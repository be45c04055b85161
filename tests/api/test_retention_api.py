"""The significant flag and the legal hold over the API: a supervisor above the owner sets them with a reason."""

from __future__ import annotations

from tests.logic.casework.helpers import open_case


def test_significant_and_legal_hold_over_the_api(graph, org, as_user):
    case = open_case(graph, org.agent_a, org.sup_mia, "Harbour case")["uid"]
    sup, agent = as_user(org.sup_mia), as_user(org.agent_a)
    r = sup.post(f"cases/{case}/significant", json={})
    assert r.status_code == 422 and "reason" in r.get_json()["errors"]
    assert agent.post(f"cases/{case}/significant", json={"reason": "mine"}).status_code == 403
    assert as_user(org.agent_nyc).post(f"cases/{case}/legal-hold", json={"reason": "theirs"}).status_code in (403, 404)
    r = sup.post(f"cases/{case}/significant", json={"reason": "first of its kind"})
    assert r.status_code == 200 and r.get_json()["significant"] is True
    assert sup.post(f"cases/{case}/significant", json={"reason": "again"}).status_code == 409
    assert sup.post(f"cases/{case}/legal-hold", json={"reason": "civil suit"}).get_json()["legal_hold"] is True
    assert sup.post(f"cases/{case}/legal-hold/release", json={"reason": "settled"}).get_json()["legal_hold"] is False
    assert sup.post(f"cases/{case}/legal-hold/release", json={"reason": "settled"}).status_code == 409
    props = graph.query("MATCH (c:Case {uid: $u}) RETURN c.significant_reason AS s, c.legal_hold AS h", {"u": case})
    assert props == [{"s": "first of its kind", "h": False}]
