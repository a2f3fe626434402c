"""Every state test runs against each implementation: SQLite, PostgreSQL (a real server) and in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.state.postgres import shared_server, skip_reason
from threatlake.state import State, memory_state, open_state

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
DURABLE = ["sqlite", "postgresql"]

Opener = Callable[[], State]


def database_url(kind: str) -> str:
    """The ``state`` setting for a new, empty database of ``kind`` (skips when PostgreSQL is absent)."""
    if kind == "sqlite":
        return "sqlite"
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    return shared_server().new_database()


@pytest.fixture(params=DURABLE)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the state of one durable database again and again, as several processes (or nodes) do."""
    url = database_url(request.param)
    opened: list[State] = []

    def open_one() -> State:
        opened.append(open_state(tmp_path, database=url, credentials_key=key(request.param)))
        return opened[-1]

    yield open_one
    for state in opened:
        state.close()


@pytest.fixture(params=[*DURABLE, "memory"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[State]:
    if request.param == "memory":
        yield memory_state()
        return
    url = database_url(request.param)
    found = open_state(tmp_path, database=url, credentials_key=key(request.param))
    yield found
    found.close()


def key(kind: str) -> str:
    """The credentials key: a shared database needs the setting; SQLite keeps its key file."""
    return "S2V5LW9mLXRoZS10ZXN0cy0zMi1ieXRlcy1sb25nISE=" if kind == "postgresql" else ""
