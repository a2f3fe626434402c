"""Both document repositories behave alike: versions, optimistic locking, conflicts, listing by type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from threatlake.documents.library import Documents, parse_filter
from threatlake.documents.repository import DocumentRepository, MemoryDocuments, SqliteDocuments
from threatlake.errors import ConflictError, NotFoundError, RequestError

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentRepository]:
    if request.param == "memory":
        yield MemoryDocuments()
        return
    found = SqliteDocuments.in_dir(tmp_path)
    yield found
    found.close()


def test_versions_and_optimistic_locking(repository: DocumentRepository) -> None:
    made = repository.create("notebook", "B", b"{}", owner="ana", now=NOW)
    assert (made.version, made.owner, made.created_by) == (1, "ana", "ana")
    later = NOW + timedelta(minutes=5)
    changed = repository.update(made.id, 1, by="bo", now=later, content=b'{"sections":[]}')
    assert (changed.version, changed.name, changed.modified_by, changed.created) == (
        2,
        "B",
        "bo",
        made.created,
    )
    assert changed.modified == "2026-12-01T00:05:00.000Z"
    with pytest.raises(ConflictError) as caught:
        repository.update(made.id, 1, by="cy", now=later, name="lost")
    assert caught.value.details["version"] == 2
    assert repository.get(made.id) == changed
    with pytest.raises(ConflictError):
        repository.delete(made.id, 1)
    repository.delete(made.id, 2)
    assert repository.get(made.id) is None
    with pytest.raises(NotFoundError):
        repository.update(made.id, 2, by="x", now=NOW, name="n")


def test_list_by_type_and_name_and_ids_are_unique(repository: DocumentRepository) -> None:
    repository.create("dashboard", "beta", b"{}", owner="a", now=NOW)
    repository.create("dashboard", "Alpha", b"{}", owner="a", now=NOW, document_id="fixed")
    repository.create("notebook", "gamma", b"{}", owner="a", now=NOW)
    assert [r.name for r in repository.list("dashboard")] == ["Alpha", "beta"]
    assert len(repository.list()) == 3
    with pytest.raises(ConflictError):
        repository.create("notebook", "again", b"{}", owner="a", now=NOW, document_id="fixed")


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
