"""Documents: versions, optimistic locking, conflicts and listing, the same on SQLite and in memory; an
earlier release's ``documents.sqlite`` is imported once."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from tests.state.conftest import NOW
from threatlake.errors import ConflictError, NotFoundError
from threatlake.state import State, open_state
from threatlake.state.documents import LEGACY_FILE


def test_versions_and_optimistic_locking(state: State) -> None:
    made = state.documents.create("notebook", "B", b"{}", owner="ana", now=NOW)
    assert (made.version, made.owner, made.created_by) == (1, "ana", "ana")
    later = NOW + timedelta(minutes=5)
    changed = state.documents.update(made.id, 1, by="bo", now=later, content=b'{"sections":[]}')
    assert (changed.version, changed.name, changed.modified_by, changed.created) == (
        2,
        "B",
        "bo",
        made.created,
    )
    assert (changed.modified, changed.content) == ("2026-03-04T05:11:07Z", b'{"sections":[]}')
    with pytest.raises(ConflictError) as caught:
        state.documents.update(made.id, 1, by="cy", now=later, name="lost")
    assert caught.value.details["version"] == 2
    assert state.documents.get(made.id) == changed  # the refused update changed nothing
    with pytest.raises(ConflictError):
        state.documents.delete(made.id, 1)
    state.documents.delete(made.id, 2)
    assert state.documents.get(made.id) is None
    with pytest.raises(NotFoundError):
        state.documents.update(made.id, 2, by="x", now=NOW, name="n")


def test_list_by_type_and_name_and_ids_are_unique(state: State) -> None:
    state.documents.create("dashboard", "beta", b"{}", owner="a", now=NOW)
    state.documents.create("dashboard", "Alpha", b"{}", owner="a", now=NOW, document_id="fixed")
    state.documents.create("notebook", "gamma", b"{}", owner="a", now=NOW)
    assert [r.name for r in state.documents.list("dashboard")] == ["Alpha", "beta"]
    assert len(state.documents.list()) == 3
    with pytest.raises(ConflictError):
        state.documents.create("notebook", "again", b"{}", owner="a", now=NOW, document_id="fixed")


def test_the_state_is_shared_by_every_opener(tmp_path: Path) -> None:
    service, cli = open_state(tmp_path), open_state(tmp_path)
    try:
        made = service.documents.create("dashboard", "Shared", b"{}", owner="a", now=NOW)
        assert cli.documents.get(made.id) == made
    finally:
        service.close()
        cli.close()


def test_an_earlier_releases_documents_file_is_imported_once(tmp_path: Path) -> None:
    columns = "id, type, name, owner, version, content, created, created_by, modified, modified_by"
    with sqlite3.connect(tmp_path / LEGACY_FILE) as old:
        old.execute(f"create table documents ({columns})")
        old.execute(
            f"insert into documents ({columns}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("kept", "dashboard", "Mine", "ana", 3, b'{"tiles":{}}', "t0", "ana", "t1", "bo"),
        )
    first = open_state(tmp_path)
    try:
        found = first.documents.get("kept")
        assert found is not None and (found.version, found.content, found.modified_by) == (
            3,
            b'{"tiles":{}}',
            "bo",
        )
    finally:
        first.close()
    assert not (tmp_path / LEGACY_FILE).exists() and (tmp_path / (LEGACY_FILE + ".imported")).exists()
    again = open_state(tmp_path)
    try:
        assert [r.id for r in again.documents.list()] == ["kept"]
    finally:
        again.close()
