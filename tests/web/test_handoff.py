"""A query answered RUNNING by one node can be polled and cancelled through another (two apps on one
settings database, as two nodes behind a load balancer share one state): the answers are the running
node's, the same status and bytes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.web.conftest import EXECUTE
from tests.web.fakes import AppClient, GatedStore
from threatlake.config import Config
from threatlake.errors import QueryError
from threatlake.service.access import create_token
from threatlake.state import State, memory_state, open_state
from threatlake.state.query_results import MemoryQueryResults, QueryResultRepository, SqliteQueryResults
from threatlake.web import create_app

BASE = "/platform/storage/query/v1"
QUERY = {"query": "fetch security.events | summarize n = count()", "requestTimeoutMilliseconds": 0}
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)

Nodes = tuple[AppClient, AppClient, dict[str, str], GatedStore]


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    """Two apps ("nodes") with their own query jobs, on one settings database and one store."""
    store = GatedStore()
    one, two = open_state(tmp_path), open_state(tmp_path)
    _, token = create_token(one, ["storage:security.events:read"], now=datetime.now(UTC))
    config = Config(result_ttl_seconds=30)
    with (
        AppClient(create_app(config, store, one)) as a,  # type: ignore[arg-type]
        AppClient(create_app(config, store, two)) as b,  # type: ignore[arg-type]
    ):
        yield a, b, {"Authorization": f"Api-Token {token}"}, store
    store.gate.set()
    one.close()
    two.close()


def _start(node: AppClient, auth: dict[str, str]) -> str:
    started = node.post(EXECUTE, json=QUERY, headers=auth)
    assert started.status_code == 202 and started.json()["state"] == "RUNNING", started.text
    token: str = started.json()["requestToken"]
    return token


def test_polled_through_the_other_node_running_then_succeeded(nodes: Nodes) -> None:
    a, b, auth, store = nodes
    token = _start(a, auth)
    running = b.get(f"{BASE}/query:poll", params={"request-token": token}, headers=auth)
    assert running.status_code == 200
    assert (running.json()["state"], running.json()["requestToken"]) == ("RUNNING", token)
    store.gate.set()
    params = {"request-token": token, "request-timeout-milliseconds": 5000}
    remote = b.get(f"{BASE}/query:poll", params=params, headers=auth)
    local = a.get(f"{BASE}/query:poll", params=params, headers=auth)
    assert remote.status_code == local.status_code == 200
    assert remote.json()["state"] == "SUCCEEDED" and remote.json()["result"]["records"] == [{"n": "7"}]
    assert remote.content == local.content  # the running node's answer, byte for byte


def test_cancelled_through_the_other_node(nodes: Nodes) -> None:
    a, b, auth, store = nodes
    token = _start(a, auth)
    cancelled = b.post(f"{BASE}/query:cancel", params={"request-token": token}, headers=auth)
    assert cancelled.status_code == 202
    store.gate.set()
    for node in (a, b):
        gone = node.get(f"{BASE}/query:poll", params={"request-token": token}, headers=auth)
        assert gone.status_code == 410, gone.text
        assert gone.json()["error"]["details"]["errorType"] == "RESULT_GONE"


def test_an_unknown_token_is_gone_on_every_node(nodes: Nodes) -> None:
    _, b, auth, _ = nodes
    gone = b.get(f"{BASE}/query:poll", params={"request-token": "no-such-token"}, headers=auth)
    assert gone.status_code == 410 and "never existed" in gone.json()["error"]["message"]


class _FailingStore(GatedStore):
    def execute(self, sql: str, params: object = None, *, timeout: float | None = None) -> object:
        self.gate.wait(10)
        raise QueryError("the engine refused it", line=1, column=7)


def test_an_error_reaches_the_other_node_in_the_same_shape(tmp_path: Path) -> None:
    store = _FailingStore()
    one, two = open_state(tmp_path), open_state(tmp_path)
    _, secret = create_token(one, ["storage:security.events:read"], now=datetime.now(UTC))
    auth = {"Authorization": f"Api-Token {secret}"}
    with (
        AppClient(create_app(Config(), store, one)) as a,  # type: ignore[arg-type]
        AppClient(create_app(Config(), store, two)) as b,  # type: ignore[arg-type]
    ):
        token = _start(a, auth)
        store.gate.set()
        params = {"request-token": token, "request-timeout-milliseconds": 5000}
        remote = b.get(f"{BASE}/query:poll", params=params, headers=auth)
        local = a.get(f"{BASE}/query:poll", params=params, headers=auth)
    one.close()
    two.close()
    assert remote.status_code == local.status_code == 400
    assert remote.json() == local.json()
    assert remote.json()["error"]["details"] == {"errorType": "QUERY_ERROR", "line": 1, "column": 7}


@pytest.fixture(params=["sqlite", "memory"])
def results(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[QueryResultRepository]:
    if request.param == "memory":
        yield MemoryQueryResults()
        return
    state: State = open_state(tmp_path)
    assert isinstance(state.query_results, SqliteQueryResults)
    yield state.query_results
    state.close()


def test_the_repository_records_finishes_cancels_and_expires(results: QueryResultRepository) -> None:
    later = NOW + timedelta(minutes=5)
    results.running("t1", "owner", later, NOW)
    found = results.get("t1", NOW)
    assert found is not None and (found.state, found.owner) == ("running", "owner")
    assert results.finish("t1", 200, b'{"state":"SUCCEEDED"}', later)
    found = results.get("t1", NOW)
    assert found is not None and (found.state, found.status, found.body) == (
        "finished",
        200,
        b'{"state":"SUCCEEDED"}',
    )
    assert not results.finish("t1", 200, b"again", later)  # only a running query finishes
    results.running("t2", "owner", later, NOW)
    assert results.cancel("t2") and not results.finish("t2", 200, b"late", later)
    assert results.get("t2", NOW) is not None and results.get("t2", NOW).state == "cancelled"  # type: ignore[union-attr]
    assert not results.cancel("missing") and results.get("missing", NOW) is None
    assert results.get("t1", later + timedelta(seconds=1)) is None  # expired
    results.running("t3", "owner", later + timedelta(hours=1), later + timedelta(seconds=1))
    assert results.get("t1", NOW) is None  # a write deletes the expired records


def test_memory_state_has_the_repository() -> None:
    assert isinstance(memory_state().query_results, MemoryQueryResults)
