"""The map page and the explorer's time bar: served signed in, with no inline script (the CSP), the vendored
libraries and basemap present, and the case page linking to its map."""

from __future__ import annotations

from ccms_graph.web import security
from tests.logic.casework.helpers import open_case
from tests.web.conftest import sign_in


def test_the_case_map_page_and_the_explorer_time_bar(graph, org, client):
    case = open_case(graph, org.agent_a, org.sup_mia)
    sign_in(client, "agent_a")
    page = client.get(f"/cases/{case['uid']}/map?since=2026-01-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert f'data-case="{case["uid"]}"' in html and 'value="2026-01-01"' in html
    assert "<script>" not in html and " style=" not in html
    for asset in ("vendor/leaflet.js", "vendor/leaflet.markercluster.js", "vendor/topojson-client.min.js",
                  "vendor/countries-50m.json", "vendor/states-10m.json", "js/map.js", "js/timeline.js"):
        assert asset in html
        assert client.get(f"/static/{asset}").status_code == 200, asset
    assert f"/cases/{case['uid']}/map" in client.get(f"/cases/{case['uid']}").get_data(as_text=True)
    explorer = client.get(f"/explore?start={case['uid']}&since=2026-02-01").get_data(as_text=True)
    assert "js/explorer_time.js" in explorer and 'value="2026-02-01"' in explorer
    assert security.CSP


def test_signed_out_the_map_page_sends_you_to_sign_in(client):
    assert client.get("/map").status_code in (302, 401)
