"""Query jobs over HTTP: RUNNING → poll → SUCCEEDED, cancel, RESULT_GONE after the TTL, timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
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
        poll, params={"request-token": token, "request-timeout-milliseconds": 20_000}, headers=auth
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
        assert response.status_code == 504
        error = response.json()["error"]
        assert error["details"] == {"errorType": "QUERY_TIMEOUT"}
        assert "did not finish within the timeout of 0.2 seconds" in error["message"]


class _LaneStore(GatedStore):
    """Queries that filter on "heavy" run until ``gate`` opens or their engine timeout; others at once."""

    def __init__(self, rows: int = 1) -> None:
        super().__init__()
        self.rows = rows

    def execute(
        self, sql: str, params: Any = None, *, timeout: float | None = None, interrupt: object = None
    ) -> pa.Table:
        if "heavy" in (params or ()):
            super().execute(sql, params, timeout=timeout)
        self.executed += 1
        return pa.table({"n": pa.array(range(self.rows), pa.int64())})


HEAVY = {"query": 'fetch security.events | filter event.kind == "heavy" | summarize n = count()'}


def _lanes(tmp_path: Path, store: GatedStore, tokens: int = 1, **config: float) -> Iterator[Any]:
    settings = open_state(tmp_path)
    auths = []
    for _ in range(tokens):
        _, token = create_token(settings, ["storage:security.events:read"], now=datetime.now(UTC))
        auths.append({"Authorization": f"Api-Token {token}"})
    with AppClient(create_app(Config(**config), store, settings)) as client:  # type: ignore[arg-type]
        yield client, auths
    store.gate.set()
    settings.close()


def test_a_thousand_and_one_hundred_queries_in_a_row_all_succeed(tmp_path: Path) -> None:
    store = _LaneStore()
    for client, (auth,) in _lanes(tmp_path, store):
        states = [client.post(EXECUTE, json=QUERY, headers=auth).json()["state"] for _ in range(1100)]
        assert states.count("SUCCEEDED") == 1100
        assert len(client.app.state.services.jobs) == 0  # answered inline: nothing kept


def test_a_result_answered_inline_is_not_kept(
    api: tuple[AppClient, dict[str, str]], store: GatedStore
) -> None:
    client, auth = api
    store.gate.set()
    body = client.post(EXECUTE, json=QUERY, headers=auth).json()
    assert body["state"] == "SUCCEEDED"
    poll = client.get(f"{BASE}/query:poll", params={"request-token": body["requestToken"]}, headers=auth)
    assert poll.status_code == 410


def test_short_queries_are_not_starved_by_long_ones(tmp_path: Path) -> None:
    store = _LaneStore()
    lanes = {
        "query_workers": 2,
        "fast_query_workers": 1,
        "fast_query_seconds": 0.1,
        "query_timeout_seconds": 30,
    }
    for client, auths in _lanes(tmp_path, store, tokens=4, **lanes):
        for auth in auths:  # four heavy queries: more than the slow lane's threads
            heavy = client.post(EXECUTE, json={**HEAVY, "requestTimeoutMilliseconds": 0}, headers=auth)
            assert heavy.json()["state"] == "RUNNING"
        time.sleep(0.5)  # they have all left the fast lane by now
        quick = client.post(EXECUTE, json={**QUERY, "requestTimeoutMilliseconds": 5000}, headers=auths[0])
        assert quick.json()["state"] == "SUCCEEDED"


def test_one_token_cannot_take_every_query_slot(tmp_path: Path) -> None:
    store = _LaneStore()
    for client, (mine, other) in _lanes(tmp_path, store, tokens=2, max_queries_per_token=3):
        for _ in range(3):
            running = client.post(EXECUTE, json={**HEAVY, "requestTimeoutMilliseconds": 0}, headers=mine)
            assert running.json()["state"] == "RUNNING"
        refused = client.post(EXECUTE, json=HEAVY, headers=mine)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert "This token has 3 queries running or waiting (limit 3)" in refused.json()["error"]["message"]
        assert client.post(EXECUTE, json=QUERY, headers=other).json()["state"] == "SUCCEEDED"


def test_results_are_bounded_in_bytes(tmp_path: Path) -> None:
    store = _LaneStore(rows=5000)
    for client, (auth,) in _lanes(tmp_path, store, result_records_limit=10_000):
        body = {**QUERY, "maxResultRecords": 10_000, "maxResultBytes": 20_000}
        result = client.post(EXECUTE, json=body, headers=auth).json()["result"]
        assert 0 < len(result["records"]) < 5000
        assert len(orjson.dumps(result)) <= 20_000
        notes = result["metadata"]["grail"]["notifications"]
        assert any("within 20000 bytes (maxResultBytes)" in note["message"] for note in notes)
        whole = client.post(EXECUTE, json={**body, "maxResultBytes": 10_000_000}, headers=auth).json()
        assert len(whole["result"]["records"]) == 5000


def test_kept_results_are_bounded_in_bytes_oldest_first(tmp_path: Path) -> None:
    store = _LaneStore(rows=5000)
    for client, (auth,) in _lanes(tmp_path, store, kept_result_bytes=150_000, result_records_limit=10_000):
        tokens = []
        for _ in range(6):
            store.gate.clear()
            body = {**HEAVY, "maxResultRecords": 10_000, "requestTimeoutMilliseconds": 0}
            tokens.append(client.post(EXECUTE, json=body, headers=auth).json()["requestToken"])
            store.gate.set()
            time.sleep(0.05)
        jobs = client.app.state.services.jobs
        jobs.sweep()
        kept = [token for token in tokens if token in jobs._jobs]
        assert kept and kept == tokens[-len(kept) :] and len(kept) < 6


def test_a_result_far_over_its_byte_bound_is_cut_before_it_is_shaped(tmp_path: Path) -> None:
    store = _LaneStore(rows=100_000)
    for client, (auth,) in _lanes(tmp_path, store, result_records_limit=100_000):
        body = {**QUERY, "maxResultRecords": 100_000, "maxResultBytes": 10_000}
        result = client.post(EXECUTE, json=body, headers=auth).json()["result"]
        assert 0 < len(result["records"]) < 2000
        assert len(orjson.dumps(result)) <= 10_000
        assert result["metadata"]["grail"]["scannedRecords"] == 100_000
        notes = result["metadata"]["grail"]["notifications"]
        assert [note["notificationType"] for note in notes] == ["RESULT_TRUNCATED"]


class _EngineStore(GatedStore):
    """Heavy queries run endless SQL in a real DuckDB engine (so only an interrupt ends them early)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        from threatlake.store import open_store

        self.engine = open_store(path)

    def execute(
        self, sql: str, params: Any = None, *, timeout: float | None = None, interrupt: Any = None
    ) -> pa.Table:
        if "heavy" in (params or ()):
            endless = "SELECT count(*) AS n FROM range(100000000000) a WHERE a.range % 7 = 3"
            return self.engine.execute(endless, timeout=timeout, interrupt=interrupt)
        return pa.table({"n": pa.array([7], pa.int64())})


def test_cancel_stops_the_engine_and_frees_its_thread(tmp_path: Path) -> None:
    store = _EngineStore(tmp_path / "engine")
    lanes = {
        "query_workers": 1,
        "fast_query_workers": 1,
        "fast_query_seconds": 600,
        "query_timeout_seconds": 600,
    }
    try:
        for client, (auth,) in _lanes(tmp_path, store, **lanes):
            heavy = client.post(EXECUTE, json={**HEAVY, "requestTimeoutMilliseconds": 300}, headers=auth)
            assert heavy.json()["state"] == "RUNNING"  # holds the fast lane's only thread
            token = heavy.json()["requestToken"]
            assert (
                client.post(f"{BASE}/query:cancel", params={"request-token": token}, headers=auth).status_code
                == 202
            )
            # without the interrupt this one would wait behind the heavy query for 600 s
            quick = client.post(EXECUTE, json={**QUERY, "requestTimeoutMilliseconds": 30_000}, headers=auth)
            assert quick.json()["state"] == "SUCCEEDED", quick.text
    finally:
        store.engine.close()
