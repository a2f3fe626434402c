"""``/notebooks``: the list, new and import, the notebook page, save with its version, export, duplicate,
delete; the query and markdown endpoints the pages' scripts call; auth, roles and CSRF."""

from __future__ import annotations

import orjson
import pytest

from tests.web.views.conftest import ALL_TIME, READER, READER_PASSWORD, Site, csrf_of, texts
from threatlake.web.views.notebooks import VOCABULARY

NOTEBOOK = {
    "version": "7",
    "defaultTimeframe": {"from": "now()-7d", "to": "now()"},
    "sections": [
        {
            "id": "m1",
            "type": "markdown",
            "markdown": "# Notes\nSee [the list](/threats) or [elsewhere](https://example.com/x).",
        },
        {
            "id": "q1",
            "type": "dql",
            "title": "By provider",
            "state": {
                "input": {"value": "fetch security.events | summarize count(), by:{event.provider}"},
                "visualization": "pieChart",
            },
        },
        {"id": "f1", "type": "function", "title": "A function", "state": {}},
    ],
    "extra": {"kept": True},
}


def _import(site: Site, name: str = "Triage", content: object = NOTEBOOK) -> str:
    csrf = site.csrf("/notebooks")
    response = site.client.post(
        "/notebooks", data={"csrf": csrf, "name": name, "content": orjson.dumps(content).decode()}
    )
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"].rsplit("/", 1)[-1]


def test_without_a_session_the_pages_redirect_to_sign_in(site: Site) -> None:
    site.client.cookies.clear()
    for path in ("/notebooks", "/notebooks/x"):
        response = site.client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_import_then_the_page_shows_every_section(admin: Site) -> None:
    notebook_id = _import(admin)
    tree = admin.html(f"/notebooks/{notebook_id}")
    sections = tree.css("[data-sections] > .nb-section")
    assert [node.attributes["data-section-id"] for node in sections] == ["m1", "q1", "f1"]
    assert [node.attributes["data-type"] for node in sections] == ["markdown", "dql", "function"]
    assert (
        tree.css_first(".nb-section[data-type=dql] [data-source]").text()
        == NOTEBOOK["sections"][1]["state"]["input"]["value"]
    )  # type: ignore[index]
    assert (
        tree.css_first(".nb-section[data-type=dql] [data-visualization] option[selected]").attributes["value"]
        == "pieChart"
    )
    markdown = tree.css_first(".nb-section[data-type=markdown] [data-rendered]")
    assert markdown.css_first("h1").text() == "Notes"
    assert markdown.css_first("a[href='/threats']") is not None
    assert tree.css("[href*='example.com'], [src*='example.com']") == []  # no outside URL on any page
    assert markdown.css_first("a.outside-link").text() == "elsewhere"
    assert "not shown here" in tree.css_first(".nb-section[data-type=function]").text()
    vocabulary = orjson.loads(tree.css_first("#dql-vocabulary").text())
    assert vocabulary == VOCABULARY and "makeTimeseries" in vocabulary["commands"]
    assert {"event.provider", "dt.security.risk.level"} <= {field["name"] for field in vocabulary["fields"]}
    assert orjson.loads(tree.css_first("#notebook-content").text())["extra"] == {"kept": True}


def test_the_list_links_every_notebook_and_has_a_json_alternate(admin: Site) -> None:
    notebook_id = _import(admin, "Listed one")
    tree = admin.html("/notebooks")
    assert "Listed one" in texts(tree, "[data-documents] a[data-open]")
    listed = admin.client.get("/notebooks.json").json()["documents"]
    assert any(item["id"] == notebook_id and item["type"] == "notebook" for item in listed)


def test_the_query_endpoint_answers_like_the_platform(admin: Site) -> None:
    csrf = admin.csrf("/notebooks")
    query = "fetch security.events | summarize n = count(), by:{event.provider} | sort event.provider"
    answer = admin.client.post(
        "/notebooks/query", params=ALL_TIME, data={"query": query}, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "SUCCEEDED"
    assert [r["event.provider"] for r in body["result"]["records"]] == [
        "AWS Security Hub",
        "Amazon GuardDuty",
    ]
    assert body["result"]["types"][0]["mappings"]["n"]["type"] == "long"
    bad = admin.client.post(
        "/notebooks/query",
        params=ALL_TIME,
        data={"query": "fetch security.events\n| filtr x"},
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"].items() >= {"line": 2, "column": 3}.items()
    narrow = admin.client.post(
        "/notebooks/query",
        params={"from": "now()-3650d", "to": "now()-3600d"},  # the demo data is in the present
        data={"query": "fetch security.events"},
        headers={"X-CSRF-Token": csrf},
    )
    assert narrow.json()["result"]["records"] == []


def test_the_query_endpoint_needs_the_csrf_token(admin: Site) -> None:
    response = admin.client.post("/notebooks/query", data={"query": "fetch security.events"})
    assert response.status_code == 403


def test_save_needs_the_version_read(admin: Site) -> None:
    notebook_id = _import(admin)
    csrf = admin.csrf(f"/notebooks/{notebook_id}")
    changed = {**NOTEBOOK, "sections": [{"id": "n", "type": "markdown", "markdown": "changed"}]}
    saved = admin.client.post(
        f"/notebooks/{notebook_id}",
        data={"version": "1", "name": "Renamed", "content": orjson.dumps(changed).decode()},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = admin.client.post(
        f"/notebooks/{notebook_id}",
        data={"version": "1", "content": orjson.dumps(NOTEBOOK).decode()},
        headers={"X-CSRF-Token": csrf},
    )
    assert stale.status_code == 409 and "version 2" in stale.json()["error"]["message"]
    broken = admin.client.post(
        f"/notebooks/{notebook_id}",
        data={"version": "2", "content": '{"sections": 3}'},
        headers={"X-CSRF-Token": csrf},
    )
    assert broken.status_code == 400 and "sections" in broken.json()["error"]["message"]
    exported = admin.client.get(f"/notebooks/{notebook_id}/export")
    assert "Renamed.json" in exported.headers["content-disposition"]
    assert exported.json()["sections"] == [{"id": "n", "type": "markdown", "markdown": "changed"}]


def test_duplicate_and_delete(admin: Site) -> None:
    notebook_id = _import(admin, "Original")
    csrf = admin.csrf("/notebooks")
    copy = admin.client.post(f"/notebooks/{notebook_id}/duplicate", data={"csrf": csrf})
    assert copy.status_code == 303
    copy_id = copy.headers["location"].rsplit("/", 1)[-1]
    assert copy_id != notebook_id
    assert (
        admin.html(f"/notebooks/{copy_id}").css_first("#doc-name").attributes["value"] == "Copy of Original"
    )
    gone = admin.client.post(f"/notebooks/{copy_id}/delete", data={"csrf": csrf, "version": "1"})
    assert gone.status_code == 303 and gone.headers["location"] == "/notebooks"
    assert admin.client.get(f"/notebooks/{copy_id}").status_code == 404


def test_a_bad_import_names_the_problem(admin: Site) -> None:
    csrf = admin.csrf("/notebooks")
    response = admin.client.post(
        "/notebooks", data={"csrf": csrf, "name": "x", "content": '{"sections": [{"type": 1}]}'}
    )
    assert response.status_code == 400 and "sections[0].type" in response.text


def test_a_reader_sees_but_cannot_change(admin: Site, site: Site) -> None:
    notebook_id = _import(admin)
    site.sign_in(READER, READER_PASSWORD)
    tree = site.html(f"/notebooks/{notebook_id}")
    assert tree.css_first("[data-action=save]") is None
    assert "readonly" in tree.css_first("#doc-name").attributes
    csrf = csrf_of(site.client.get("/notebooks").text)
    created = site.client.post("/notebooks", data={"csrf": csrf, "name": "nope"})
    assert created.status_code == 403
    answer = site.client.post(
        "/notebooks/query",
        params=ALL_TIME,
        data={"query": "fetch security.events | limit 1"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200 and len(answer.json()["result"]["records"]) == 1


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("**bold** <script>alert(1)</script>", "<strong>bold</strong>", "<script>"),
        ("[out](https://example.org/p) ![pic](http://example.org/i.png)", "out", "example.org"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "<table>", "|---|"),
    ],
)
def test_markdown_is_rendered_safely(admin: Site, text: str, present: str, absent: str) -> None:
    csrf = admin.csrf("/notebooks")
    html = admin.client.post(
        "/notebooks/markdown", data={"markdown": text}, headers={"X-CSRF-Token": csrf}
    ).text
    assert present in html and absent not in html


def test_open_with_notebook_makes_a_notebook_of_the_query_on_confirmation(admin: Site) -> None:
    query = 'fetch security.events\n| filter event.provider == "Amazon GuardDuty"'
    tree = admin.html("/notebooks/new", query=query)
    assert tree.css_first("textarea[name=query]").text() == query
    before = len(admin.client.get("/notebooks.json").json()["documents"])  # a GET creates nothing
    created = admin.client.post(
        "/notebooks", data={"csrf": csrf_of(tree.html or ""), "query": query, "name": "GuardDuty"}
    )
    assert created.status_code == 303
    assert len(admin.client.get("/notebooks.json").json()["documents"]) == before + 1
    notebook_id = created.headers["location"].rsplit("/", 1)[-1]
    page = admin.html(f"/notebooks/{notebook_id}")
    assert page.css_first(".nb-section[data-type=dql] [data-source]").text() == query
