"""Leases: one holder at a time, across processes sharing the database (SQLite file or PostgreSQL);
expiry and release; transactions that span repositories."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest

from tests.state.conftest import DURABLE, NOW, Opener, database_url
from threatlake.errors import ConflictError, RequestError
from threatlake.service.access import create_connection
from threatlake.state import State, open_state

TTL = timedelta(seconds=30)
RACERS = 4
NAMES = [f"scheduler-{n}" for n in range(20)]


def test_one_holder(state: State) -> None:
    assert state.leases.acquire("scheduler", "a", TTL, NOW)
    assert not state.leases.acquire("scheduler", "b", TTL, NOW + timedelta(seconds=29))
    assert state.leases.acquire("scheduler", "a", TTL, NOW + timedelta(seconds=20))  # renewed to 50 s
    assert not state.leases.acquire("scheduler", "b", TTL, NOW + timedelta(seconds=40))
    assert state.leases.holder("scheduler", NOW + timedelta(seconds=40)) == "a"
    assert state.leases.acquire("scheduler", "b", TTL, NOW + timedelta(seconds=50))  # a's expired
    assert not state.leases.release("scheduler", "a") and state.leases.release("scheduler", "b")
    assert state.leases.holder("scheduler", NOW) is None
    assert state.leases.acquire("scheduler", "a", TTL, NOW)


def test_two_connections_contend(opener: Opener) -> None:
    one, two = opener(), opener()
    assert one.leases.acquire("scheduler", "one", TTL, NOW)
    assert not two.leases.acquire("scheduler", "two", TTL, NOW)
    assert one.leases.release("scheduler", "one")
    assert two.leases.acquire("scheduler", "two", TTL, NOW)
    assert one.leases.holder("scheduler", NOW) == "two"


def _race(data_dir: str, url: str, holder: str, start: multiprocessing.synchronize.Event) -> list[str]:
    """The leases (of ``ROUNDS`` free ones, taken in order) that ``holder`` won."""
    state = open_state(data_dir, database=url)
    try:
        start.wait(30)
        return [name for name in NAMES if state.leases.acquire(name, holder, TTL, NOW)]
    finally:
        state.close()


@pytest.mark.parametrize("kind", DURABLE)
def test_processes_racing_for_a_free_lease_give_it_to_one(kind: str, tmp_path: Path) -> None:
    url = database_url(kind)
    open_state(tmp_path, database=url).close()  # tables made before the race, as a first start does
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(RACERS) as pool:
        start = manager.Event()
        pending = [pool.apply_async(_race, (str(tmp_path), url, f"p{n}", start)) for n in range(RACERS)]
        start.set()
        won = {f"p{n}": result.get(timeout=60) for n, result in enumerate(pending)}
    assert sorted(name for names in won.values() for name in names) == sorted(NAMES)  # each once
    state = open_state(tmp_path, database=url)
    try:
        assert {name: state.leases.holder(name, NOW) for name in NAMES} == {
            name: holder for holder, names in won.items() for name in names
        }
    finally:
        state.close()


def test_a_transaction_spans_repositories(opener: Opener) -> None:
    state = opener()
    with pytest.raises(RequestError), state.transaction():
        state.connections.ensure("kept-only-if-committed", now=NOW)
        state.tokens.create(["no-such-scope"], now=NOW, connection="kept-only-if-committed")
    assert state.connections.list() == []  # rolled back with the failed token
    create_connection(state, "gd", "amazon-guardduty", now=NOW)
    with pytest.raises(ConflictError):
        create_connection(state, "gd", "amazon-guardduty", now=NOW)
    assert [t.connection for t in state.tokens.list()] == ["gd"]  # the refused one minted no token
