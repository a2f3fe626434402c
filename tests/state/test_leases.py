"""Leases: one holder at a time, across processes sharing the file; expiry and release."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.state.conftest import NOW
from threatlake.errors import ConflictError, RequestError
from threatlake.service.access import create_connection
from threatlake.state import State, open_state

TTL = timedelta(seconds=30)


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


def test_two_processes_contend_for_one_file(tmp_path: Path) -> None:
    one, two = open_state(tmp_path), open_state(tmp_path)
    try:
        assert one.leases.acquire("scheduler", "one", TTL, NOW)
        assert not two.leases.acquire("scheduler", "two", TTL, NOW)
        assert one.leases.release("scheduler", "one")
        assert two.leases.acquire("scheduler", "two", TTL, NOW)
    finally:
        one.close()
        two.close()


def test_a_transaction_spans_repositories(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    with pytest.raises(RequestError), state.transaction():
        state.connections.ensure("kept-only-if-committed", now=NOW)
        state.tokens.create(["no-such-scope"], now=NOW, connection="kept-only-if-committed")
    assert state.connections.list() == []  # rolled back with the failed token
    create_connection(state, "gd", "amazon-guardduty", now=NOW)
    with pytest.raises(ConflictError):
        create_connection(state, "gd", "amazon-guardduty", now=NOW)
    assert [t.connection for t in state.tokens.list()] == ["gd"]  # the refused one minted no token
    state.close()
