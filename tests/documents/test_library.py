"""The document library over the state's repository: content checked on write, shipped dashboards
installed once, duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from threatlake.documents.library import Documents, parse_filter
from threatlake.errors import RequestError
from threatlake.state import State, memory_state, open_state
from threatlake.state.documents import DocumentRepository

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentRepository]:
    state: State = memory_state() if request.param == "memory" else open_state(tmp_path)
    yield state.documents
    state.close()


def test_the_library_checks_content_and_installs_the_shipped_dashboards_once(
    repository: DocumentRepository,
) -> None:
    documents = Documents(repository)
    with pytest.raises(RequestError):
        documents.create(
            "dashboard", "bad", {"version": 15, "tiles": {"a": {"type": "data"}}}, owner="a", now=NOW
        )
    first = documents.install_shipped(owner="admin", now=NOW)
    again = documents.install_shipped(owner="admin", now=NOW)
    assert [r.id for r in first] == [r.id for r in again] and len(first) == 4
    assert len(documents.list(parse_filter("type == 'dashboard'"))) == 4
    copy = documents.duplicate(first[0].id, owner="bo", now=NOW)
    assert (
        copy.name == f"Copy of {first[0].name}"
        and copy.content == first[0].content
        and copy.id != first[0].id
    )
