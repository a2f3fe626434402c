"""Users and browser sessions: roles, password checks, sessions that end."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from tests.state.conftest import NOW
from threatlake.errors import ConflictError, NotFoundError, RequestError
from threatlake.state import State, open_state
from threatlake.state.users import ROLES


def test_users_and_roles(state: State) -> None:
    assert not state.users.has_users()
    admin = state.users.create("admin", "s3cret", now=NOW, role="admin")
    assert admin.scopes == ROLES["admin"] and state.users.has_users()
    viewer = state.users.create("ann", "pw", now=NOW)
    assert viewer.role == "viewer" and "settings:write" not in viewer.scopes
    assert state.users.verify("admin", "s3cret") == admin
    assert state.users.verify("admin", "wrong") is None and state.users.verify("nobody", "s3cret") is None
    with pytest.raises(ConflictError):
        state.users.create("ann", "other", now=NOW)
    with pytest.raises(RequestError, match="role"):
        state.users.create("bob", "pw", now=NOW, role="root")
    assert state.users.set_role("ann", "admin").role == "admin"
    state.users.set_password("ann", "new")
    assert state.users.verify("ann", "pw") is None and state.users.verify("ann", "new") is not None
    assert [user.name for user in state.users.list()] == ["admin", "ann"]
    state.users.delete("ann")
    with pytest.raises(NotFoundError):
        state.users.get("ann")


def test_sessions(state: State) -> None:
    record, text = state.sessions.create("admin", now=NOW, ttl=timedelta(hours=8))
    other, other_text = state.sessions.create("admin", now=NOW, ttl=timedelta(hours=1))
    assert record.csrf != other.csrf and text not in (record.id, record.csrf)
    assert state.sessions.get(text, now=NOW) == record
    assert state.sessions.get(text + "x", now=NOW) is None and state.sessions.get("", now=NOW) is None
    assert state.sessions.get(text, now=NOW + timedelta(hours=8)) is None  # expired, still stored
    assert state.sessions.expire(NOW + timedelta(hours=2)) == 1  # the one-hour session
    assert state.sessions.get(other_text, now=NOW) is None
    assert state.sessions.delete(record.id) and not state.sessions.delete(record.id)
    state.sessions.create("ann", now=NOW, ttl=timedelta(hours=1))
    assert state.sessions.delete_user("ann") == 1


def test_session_text_is_not_stored(tmp_path: Path) -> None:
    state = open_state(tmp_path)
    _, text = state.sessions.create("admin", now=NOW, ttl=timedelta(hours=1))
    state.close()
    assert text.encode() not in (tmp_path / "settings.sqlite").read_bytes()


def test_an_old_users_table_gets_roles(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "settings.sqlite") as conn:
        conn.execute(
            "create table users (name text primary key, salt blob not null, hash blob not null,"
            " admin integer not null, created text not null)"
        )
        conn.execute("insert into users values ('old', x'00', x'00', 1, '2025-01-01T00:00:00Z')")
        conn.execute("insert into users values ('plain', x'00', x'00', 0, '2025-01-01T00:00:00Z')")
    state = open_state(tmp_path)
    assert [(user.name, user.role) for user in state.users.list()] == [("old", "admin"), ("plain", "viewer")]
    state.close()
