"""Documents: versions and optimistic locking, the same on SQLite and in memory."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from tests.state.conftest import NOW
from threatlake.errors import ConflictError, NotFoundError, RequestError
from threatlake.state import State


def test_versions_and_conflicts(state: State) -> None:
    content = orjson.dumps({"tiles": [{"query": "fetch security.events | limit 1"}]}).decode()
    doc = state.documents.create("dashboard", "Overview", "admin", content, now=NOW)
    assert (doc.version, doc.type, doc.content) == (1, "dashboard", content)
    later = NOW + timedelta(minutes=5)
    saved = state.documents.update(doc.id, 1, now=later, content='{"tiles": []}')
    assert (saved.version, saved.modified, saved.created, saved.name) == (
        2,
        "2026-03-04T05:11:07Z",
        doc.created,
        "Overview",
    )
    with pytest.raises(ConflictError) as stale:
        state.documents.update(doc.id, 1, now=later, name="Mine")
    assert stale.value.details == {"id": doc.id, "version": 2}
    assert state.documents.get(doc.id) == saved  # the refused update changed nothing
    with pytest.raises(ConflictError):
        state.documents.delete(doc.id, version=1)
    state.documents.delete(doc.id, version=2)
    with pytest.raises(NotFoundError):
        state.documents.get(doc.id)


def test_listing_and_validation(state: State) -> None:
    a = state.documents.create("notebook", "b", "ann", "[]", now=NOW)
    b = state.documents.create("dashboard", "z", "ann", "{}", now=NOW)
    c = state.documents.create("dashboard", "a", "bob", "{}", now=NOW)
    assert [d.id for d in state.documents.list()] == [c.id, b.id, a.id]
    assert [d.id for d in state.documents.list(type="dashboard", owner="ann")] == [b.id]
    assert b.as_dict(content=False).keys() == {
        "id",
        "type",
        "name",
        "owner",
        "version",
        "created",
        "modified",
    }
    for kind, name, content, field in (
        ("report", "x", "{}", "type"),
        ("notebook", "", "{}", "name"),
        ("notebook", "x", "{not json", "content"),
    ):
        with pytest.raises(RequestError) as bad:
            state.documents.create(kind, name, "ann", content, now=NOW)
        assert bad.value.details["field"] == field
