"""``/platform/document/v1/documents``: the platform's Document API for dashboards and notebooks."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.web.fakes import AppClient
from threatlake.config import Config
from threatlake.documents import shipped_dashboard
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.store import open_store
from threatlake.web.api.documents import BASE, DELETE_SCOPE, READ_SCOPE, WRITE_SCOPE
from threatlake.web.app import create_app

NOW = datetime(2026, 12, 1, tzinfo=UTC)
NOTEBOOK = {"version": "7", "sections": [{"type": "markdown", "markdown": "# hi"}]}


class Api:
    def __init__(self, app: AppClient, headers: dict[str, dict[str, str]]) -> None:
        self.app = app
        self.headers = headers

    def __call__(self, method: str, path: str, who: str = "all", **options: Any) -> httpx.Response:
        headers = {**self.headers[who], **options.pop("headers", {})}
        return self.app.request(method, BASE + path, headers=headers, **options)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = open_store(tmp_path)
    settings = open_state(tmp_path)

    def header(*scopes: str) -> dict[str, str]:
        return {"Authorization": f"Api-Token {create_token(settings, list(scopes), now=NOW, name='ana')[1]}"}

    headers = {
        "all": header(READ_SCOPE, WRITE_SCOPE, DELETE_SCOPE),
        "read": header(READ_SCOPE),
        "write": header(WRITE_SCOPE),
        "none": header("settings:read"),
    }
    with AppClient(create_app(Config(data_dir=tmp_path), store, settings)) as app:
        yield Api(app, headers)
    store.close()
    settings.close()


def _create(api: Api, name: str, kind: str, content: object, who: str = "all") -> httpx.Response:
    files = {"content": ("doc.json", orjson.dumps(content), "application/json")}
    return api("POST", "", who, data={"name": name, "type": kind}, files=files)


def test_create_as_the_platform_does_then_read_it_back(api: Api) -> None:
    dashboard = shipped_dashboard("container-vulnerabilities")
    created = _create(api, "Containers", "dashboard", dashboard)
    assert created.status_code == 201, created.text
    meta = created.json()
    assert (meta["name"], meta["type"], meta["version"], meta["owner"]) == (
        "Containers",
        "dashboard",
        1,
        "ana",
    )
    assert api("GET", f"/{meta['id']}/metadata").json() == meta
    content = api("GET", f"/{meta['id']}/content")
    assert content.json() == dashboard
    assert "Containers.json" in content.headers["content-disposition"]
    both = api("GET", f"/{meta['id']}")
    message = email.message_from_bytes(
        b"Content-Type: " + both.headers["content-type"].encode() + b"\r\n\r\n" + both.content,
        policy=email.policy.HTTP,
    )
    parts = {
        part.get_param("name", header="content-disposition"): part.get_content()
        for part in message.iter_parts()
    }
    assert orjson.loads(parts["metadata"]) == meta
    assert orjson.loads(parts["content"]) == dashboard


def test_a_json_body_works_too_and_a_given_id_is_kept(api: Api) -> None:
    body = {"name": "Triage", "type": "notebook", "content": NOTEBOOK, "id": "triage-notes"}
    created = api("POST", "", json=body)
    assert created.status_code == 201 and created.json()["id"] == "triage-notes"
    assert api("POST", "", json=body).status_code == 409
    sections = api("GET", "/triage-notes/content").json()["sections"]
    assert sections[0]["markdown"] == "# hi" and sections[0]["id"] == "section-1"


def test_list_filters_by_type_and_pages(api: Api) -> None:
    for i in range(3):
        _create(api, f"Board {i}", "dashboard", {"version": 15, "tiles": {}})
    _create(api, "Book", "notebook", NOTEBOOK)
    boards = api("GET", "", params={"filter": "type == 'dashboard'"}).json()
    assert [d["name"] for d in boards["documents"]] == ["Board 0", "Board 1", "Board 2"]
    assert boards["totalCount"] == 3
    first = api("GET", "", params={"filter": "type = 'dashboard'", "page-size": 2}).json()
    rest = api(
        "GET", "", params={"page-key": first["nextPageKey"], "page-size": 2, "filter": "type=='dashboard'"}
    )
    assert [d["name"] for d in first["documents"] + rest.json()["documents"]] == [
        "Board 0",
        "Board 1",
        "Board 2",
    ]
    assert "nextPageKey" not in rest.json()
    named = api("GET", "", params={"filter": "type == 'dashboard' and name contains '1'"}).json()
    assert [d["name"] for d in named["documents"]] == ["Board 1"]
    bad = api("GET", "", params={"filter": "colour == 'red'"})
    assert bad.status_code == 400 and "column 1" in bad.json()["error"]["message"]


def test_update_needs_the_current_version(api: Api) -> None:
    doc = _create(api, "Board", "dashboard", {"version": 15}).json()
    path = f"/{doc['id']}"
    renamed = api("PATCH", path, params={"optimistic-locking-version": 1}, data={"name": "Board v2"})
    assert renamed.status_code == 200 and renamed.json()["documentMetadata"]["version"] == 2
    stale = api("PATCH", path, params={"optimistic-locking-version": 1}, data={"name": "lost"})
    assert stale.status_code == 409
    assert "version 2" in stale.json()["error"]["message"]
    assert api("GET", f"{path}/metadata").json()["name"] == "Board v2"
    assert api("PATCH", path, data={"name": "x"}).status_code == 400
    new = {"version": 16, "tiles": {"a": {"type": "markdown", "content": "new"}}}
    replaced = api(
        "PUT",
        f"{path}/content",
        params={"optimistic-locking-version": 2},
        content=orjson.dumps(new),
        headers={"Content-Type": "application/json"},
    )
    assert replaced.json()["documentMetadata"]["version"] == 3
    assert api("GET", f"{path}/content").json()["tiles"]["a"]["content"] == "new"


def test_delete_needs_the_current_version_and_its_scope(api: Api) -> None:
    doc = _create(api, "Book", "notebook", NOTEBOOK).json()
    path = f"/{doc['id']}"
    assert api("DELETE", path, "write", params={"optimistic-locking-version": 1}).status_code == 403
    assert api("DELETE", path, params={"optimistic-locking-version": 7}).status_code == 409
    assert api("DELETE", path, params={"optimistic-locking-version": 1}).status_code == 204
    assert api("GET", f"{path}/metadata").status_code == 404
    assert api("DELETE", path, params={"optimistic-locking-version": 1}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("GET", "", {"all", "read"}), ("POST", "", {"all", "write"}), ("GET", "/x/content", {"all", "read"})],
)
def test_scopes(api: Api, method: str, path: str, allowed: set[str]) -> None:
    for who in ("all", "read", "write", "none"):
        status = api(
            method, path, who, json={"name": "n", "type": "notebook", "content": NOTEBOOK}
        ).status_code
        assert (status != 403) == (who in allowed), (who, status)
    assert api.app.request(method, BASE + path).status_code == 401


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b'{"version": 15, "tiles": {"a": {"type": "data"}}}', "tiles.a.query"),
        (b'{"version": 15,\n "tiles": }', "line 2, column 11"),
        (b'{"version": 9}', "version"),
    ],
)
def test_bad_content_is_refused_with_its_position(api: Api, content: bytes, where: str) -> None:
    files = {"content": ("d.json", content, "application/json")}
    refused = api("POST", "", data={"name": "x", "type": "dashboard"}, files=files)
    assert refused.status_code == 400 and where in refused.json()["error"]["message"]
    assert api("GET", "").json()["totalCount"] == 0


def test_bad_requests(api: Api) -> None:
    assert api("POST", "", json={"name": "x", "type": "report", "content": {}}).status_code == 400
    assert api("POST", "", json={"name": "", "type": "notebook", "content": NOTEBOOK}).status_code == 400
    assert (
        api("POST", "", json={"name": "x" * 129, "type": "notebook", "content": NOTEBOOK}).status_code == 400
    )
    assert api("POST", "", json={"name": "x", "type": "notebook"}).status_code == 400
    assert api("POST", "", content=b"name=x", headers={"Content-Type": "text/plain"}).status_code == 415
    assert api("GET", "", params={"page-size": 0}).status_code == 400
