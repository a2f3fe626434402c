"""Query jobs over HTTP: RUNNING → poll → SUCCEEDED, cancel, RESULT_GONE after the TTL, timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.web.conftest import EXECUTE
from tests.web.fakes import AppClient, GatedStore
from threatlake.config import Config
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.web import create_app

BASE = "/platform/storage/query/v1"
QUERY = {"query": "fetch security.events | summarize n = count()"}


@pytest.fixture
def store() -> GatedStore:
    return GatedStore()


def _client(tmp_path: Path, store: GatedStore, **config: float) -> Iterator[tuple[AppClient, dict[str, str]]]:
    settings = open_state(tmp_path)
    _, token = create_token(settings, ["storage:security.events:read"], now=datetime.now(UTC))
    with AppClient(create_app(Config(**config), store, settings)) as client:  # type: ignore[arg-type]
        yield client, {"Authorization": f"Api-Token {token}"}
    store.gate.set()
    settings.close()


@pytest.fixture
def api(tmp_path: Path, store: GatedStore) -> Iterator[tuple[AppClient, dict[str, str]]]:
    yield from _client(tmp_path, store, result_ttl_seconds=0.5)


def test_running_then_poll_then_succeeded(api: tuple[AppClient, dict[str, str]], store: GatedStore) -> None:
    client, auth = api
    started = client.post(EXECUTE, json={**QUERY, "requestTimeoutMilliseconds": 50}, headers=auth)
    assert started.status_code == 202
    running = started.json()
    assert running["state"] == "RUNNING" and "result" not in running
    token = running["requestToken"]
    poll = f"{BASE}/query:poll"
    assert client.get(poll, params={"request-token": token}, headers=auth).json()["state"] == "RUNNING"
    store.gate.set()
    done = client.get(
        poll, params={"request-token": token, "request-timeout-milliseconds": 2000}, headers=auth
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["state"], body["progress"], body["result"]["records"]) == ("SUCCEEDED", 100, [{"n": "7"}])
    time.sleep(0.7)
    gone = client.get(poll, params={"request-token": token}, headers=auth)
    assert gone.status_code == 410 and gone.json()["error"]["details"]["errorType"] == "RESULT_GONE"


def test_cancel(api: tuple[AppClient, dict[str, str]], store: GatedStore) -> None:
    client, auth = api
    token = client.post(EXECUTE, json={**QUERY, "requestTimeoutMilliseconds": 0}, headers=auth).json()[
        "requestToken"
    ]
    assert (
        client.post(f"{BASE}/query:cancel", params={"request-token": token}, headers=auth).status_code == 202
    )
    assert client.get(f"{BASE}/query:poll", params={"request-token": token}, headers=auth).status_code == 410
    assert (
        client.post(f"{BASE}/query:cancel", params={"request-token": token}, headers=auth).status_code == 410
    )
    assert client.get(f"{BASE}/query:poll", headers=auth).status_code == 400


def test_succeeded_at_once_and_verify(api: tuple[AppClient, dict[str, str]], store: GatedStore) -> None:
    client, auth = api
    store.gate.set()
    body = client.post(EXECUTE, json=QUERY, headers=auth).json()
    assert body["state"] == "SUCCEEDED" and body["result"]["records"] == [{"n": "7"}]
    verify = f"{BASE}/query:verify"
    assert client.post(verify, json=QUERY, headers=auth).json() == {"valid": True, "notifications": []}
    bad = client.post(verify, json={"query": "fetch security.events\n| filtr x"}, headers=auth).json()
    assert bad["valid"] is False
    assert bad["notifications"][0]["syntaxPosition"]["start"] == {"line": 2, "column": 3}
    error = client.post(EXECUTE, json={"query": "fetch security.events\n| filtr x"}, headers=auth)
    assert error.status_code == 400
    assert error.json()["error"] == {
        "code": 400,
        "message": "Unknown command 'filtr' at line 2, column 3; did you mean 'filter'?",
        "details": {"errorType": "QUERY_ERROR", "line": 2, "column": 3, "text": "filtr"},
    }
    for wrong in (
        {},
        {"query": 3},
        {"query": "x", "maxResultRecords": -1},
        {"query": "x", "defaultTimeframeStart": "y"},
    ):
        assert client.post(EXECUTE, json=wrong, headers=auth).status_code == 400


def test_timeout(tmp_path: Path, store: GatedStore) -> None:
    for client, auth in _client(tmp_path, store, query_timeout_seconds=0.2):
        response = client.post(EXECUTE, json={**QUERY, "requestTimeoutMilliseconds": 5000}, headers=auth)
        assert response.status_code == 400 and "timeout" in response.json()["error"]["message"]
