"""``/dashboards``: install the shipped ones, import, the grid of tiles at their layout, variables as
pickers (their values from the URL), unknown visualizations and tile types noted, save with its version."""

from __future__ import annotations

import re

import orjson

from tests.web.views.conftest import Site, csrf_of
from threatlake.documents import SHIPPED, shipped_dashboard

BOARD = {
    "version": 18,
    "variables": [
        {
            "key": "Level",
            "type": "csv",
            "input": "CRITICAL,HIGH,LOW",
            "multiple": True,
            "defaultValue": ["HIGH"],
        },
        {
            "key": "Who",
            "type": "query",
            "input": "fetch security.events | summarize count(), by:{event.provider} | fields event.provider",
        },
    ],
    "tiles": {
        "a": {"type": "markdown", "content": "## Hello"},
        "b": {
            "type": "data",
            "title": "Count",
            "query": "fetch security.events | summarize count()",
            "visualization": "singleValue",
        },
        "c": {
            "type": "data",
            "title": "Map",
            "query": "fetch security.events | limit 3",
            "visualization": "choroplethMap",
        },
        "d": {"type": "code", "title": "Code"},
    },
    "layouts": {
        "a": {"x": 0, "y": 0, "w": 24, "h": 2},
        "b": {"x": 0, "y": 2, "w": 6, "h": 4},
        "c": {"x": 6, "y": 2, "w": 18, "h": 4},
    },
}


def _import(site: Site, content: object = BOARD, name: str = "Board") -> str:
    csrf = site.csrf("/dashboards")
    response = site.client.post(
        "/dashboards", data={"csrf": csrf, "name": name, "content": orjson.dumps(content).decode()}
    )
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"].rsplit("/", 1)[-1]


def test_install_the_shipped_dashboards_once(admin: Site) -> None:
    csrf = admin.csrf("/dashboards")
    for _ in range(2):
        assert admin.client.post("/dashboards/install-shipped", data={"csrf": csrf}).status_code == 303
    names = [node.text(strip=True) for node in admin.html("/dashboards").css("[data-documents] a[data-open]")]
    assert all(names.count(name) == 1 for name in SHIPPED.values())


def test_every_tile_is_on_the_page_at_its_layout(admin: Site) -> None:
    tree = admin.html(f"/dashboards/{_import(admin)}")
    tiles = {node.attributes["data-tile-id"]: node for node in tree.css("[data-grid] > .tile")}
    assert set(tiles) == {"a", "b", "c", "d"}
    assert "grid-column: 7 / span 18; grid-row: 3 / span 4" in tiles["c"].attributes["style"]
    assert (
        tiles["b"].attributes["data-state"] == "loading"
        and tiles["b"].attributes["data-visualization"] == "singleValue"
    )
    assert tiles["a"].attributes["data-state"] == "ok" and tiles["a"].css_first("h2").text() == "Hello"
    assert (
        tiles["c"].attributes["data-visualization"] == "table"
        and "choroplethMap" in tiles["c"].css_first(".note").text()
    )
    assert "not shown here" in tiles["d"].css_first(".note").text()
    assert re.search(r"grid-row: 7 / span 6", tiles["d"].attributes["style"])  # placed below the others


def test_variables_are_pickers_and_their_values_come_from_the_url(admin: Site) -> None:
    board_id = _import(admin)
    tree = admin.html(f"/dashboards/{board_id}")
    level = tree.css_first("select[data-variable=Level]")
    assert "multiple" in level.attributes
    assert [o.attributes["value"] for o in level.css("option")] == ["CRITICAL", "HIGH", "LOW"]
    assert [o.attributes["value"] for o in level.css("option[selected]")] == ["HIGH"]
    assert tree.css_first("select[data-variable=Who]").attributes["data-variable-query"].startswith("fetch")
    chosen = admin.html(f"/dashboards/{board_id}", **{"var.Level": "LOW"})
    assert [o.attributes["value"] for o in chosen.css("select[data-variable=Level] option[selected]")] == [
        "LOW"
    ]


def test_a_shipped_dashboard_page_holds_its_document(admin: Site) -> None:
    csrf = admin.csrf("/dashboards")
    admin.client.post("/dashboards/install-shipped", data={"csrf": csrf})
    tree = admin.html("/dashboards/threatlake-container-vulnerabilities")
    assert orjson.loads(tree.css_first("#dashboard-content").text()) == shipped_dashboard(
        "container-vulnerabilities"
    )
    assert tree.css_first("[data-dashboard]").attributes["data-from"] == "now()-24h"


def test_save_export_and_conflict(admin: Site) -> None:
    board_id = _import(admin)
    csrf = admin.csrf(f"/dashboards/{board_id}")
    moved = {**BOARD, "layouts": {**BOARD["layouts"], "b": {"x": 2, "y": 2, "w": 4, "h": 5}}}  # type: ignore[dict-item]
    saved = admin.client.post(
        f"/dashboards/{board_id}",
        data={"version": "1", "content": orjson.dumps(moved).decode()},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.json()["version"] == 2
    exported = admin.client.get(f"/dashboards/{board_id}/export").json()
    assert exported["layouts"]["b"] == {"x": 2, "y": 2, "w": 4, "h": 5}
    again = admin.client.post(
        f"/dashboards/{board_id}",
        data={"version": "1", "content": orjson.dumps(BOARD).decode()},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 409
    off_grid = {**BOARD, "layouts": {"b": {"x": 20, "y": 0, "w": 8, "h": 2}}}
    refused = admin.client.post(
        f"/dashboards/{board_id}",
        data={"version": "2", "content": orjson.dumps(off_grid).decode()},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 400 and "24-column" in refused.json()["error"]["message"]


def test_a_notebook_id_is_not_a_dashboard(admin: Site) -> None:
    csrf = admin.csrf("/notebooks")
    made = admin.client.post("/notebooks", data={"csrf": csrf, "name": "nb"})
    notebook_id = made.headers["location"].rsplit("/", 1)[-1]
    assert admin.client.get(f"/dashboards/{notebook_id}").status_code == 400


def test_a_template_link_offers_that_dashboard_then_opens_it(admin: Site) -> None:
    tree = admin.html("/dashboards", template="Amazon GuardDuty detections")
    offer = tree.css_first("[data-template]")
    assert "Amazon GuardDuty detections" in offer.text()
    csrf = csrf_of(tree.html or "")
    installed = admin.client.post(
        "/dashboards/install-shipped", data={"csrf": csrf, "name": "Amazon GuardDuty detections"}
    )
    assert installed.status_code == 303
    assert installed.headers["location"] == "/dashboards/threatlake-amazon-guardduty-detections"
    again = admin.html("/dashboards", template="Amazon GuardDuty detections")
    assert (
        again.css_first("[data-template] a")
        .attributes["href"]
        .startswith("/dashboards/threatlake-amazon-guardduty-detections")
    )
    unknown = admin.client.post("/dashboards/install-shipped", data={"csrf": csrf, "name": "Nope"})
    assert unknown.status_code == 400
    assert admin.html("/dashboards", template="Nope").css_first("[data-template]") is None
