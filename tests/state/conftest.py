"""Every state test runs against both implementations: the SQLite one and the in-memory one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from threatlake.state import State, memory_state, open_state

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "memory"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[State]:
    found = open_state(tmp_path) if request.param == "sqlite" else memory_state()
    yield found
    found.close()
