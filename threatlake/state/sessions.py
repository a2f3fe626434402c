"""Browser sessions: ``SessionRepository``, on SQLite and in memory.

A session is created when a user signs in; the browser holds its text (a 256-bit random secret) in a
cookie. Only a SHA-256 of the text is stored, so a copy of the database does not sign anyone in; the hash is
also the session's ``id`` (for sign-out and listing). Each session carries its own CSRF secret, which pages
embed in forms and the web layer compares with what a state-changing request sends. A session ends when it
is deleted (sign-out), when its user is deleted, or at ``expires`` (``expire`` removes the expired ones).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from threatlake.state.database import Database, Row, iso

__all__ = ["MemorySessions", "SessionRecord", "SessionRepository", "SqliteSessions"]

_MAX_TEXT = 200

_SCHEMA = """
create table if not exists sessions (
    id text primary key, username text not null, csrf text not null, created text not null,
    expires text not null);
create index if not exists sessions_by_user on sessions (username);
"""
_SELECT = "select id, username, csrf, created, expires from sessions"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: str
    user: str
    csrf: str
    created: str
    expires: str


class SessionRepository(Protocol):
    def create(self, user: str, *, now: datetime, ttl: timedelta) -> tuple[SessionRecord, str]:
        """A new session and the text of its cookie (never stored)."""
        ...

    def get(self, text: str, *, now: datetime) -> SessionRecord | None:
        """The live session of a cookie's text, or None (unknown, malformed, expired)."""
        ...

    def delete(self, session_id: str) -> bool: ...

    def delete_user(self, user: str) -> int:
        """End every session of ``user``; returns how many."""
        ...

    def expire(self, now: datetime) -> int:
        """Remove the sessions expired at ``now``; returns how many."""
        ...


def session_id(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _new(user: str, now: datetime, ttl: timedelta) -> tuple[SessionRecord, str]:
    text = secrets.token_urlsafe(32)
    record = SessionRecord(session_id(text), user, secrets.token_urlsafe(32), iso(now), iso(now + ttl))
    return record, text


def _valid(text: str) -> bool:
    return 0 < len(text) <= _MAX_TEXT


class SqliteSessions:
    """``SessionRepository`` in the ``sessions`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def create(self, user: str, *, now: datetime, ttl: timedelta) -> tuple[SessionRecord, str]:
        record, text = _new(user, now, ttl)
        self._db.execute(
            "insert into sessions (id, username, csrf, created, expires) values (?, ?, ?, ?, ?)",
            (record.id, record.user, record.csrf, record.created, record.expires),
        )
        return record, text

    def get(self, text: str, *, now: datetime) -> SessionRecord | None:
        if not _valid(text):
            return None
        row = self._db.one(f"{_SELECT} where id = ? and expires > ?", (session_id(text), iso(now)))
        return _record(row) if row else None

    def delete(self, session_id: str) -> bool:
        with self._db.transaction():
            found = self._db.one("select 1 from sessions where id = ?", (session_id,))
            self._db.execute("delete from sessions where id = ?", (session_id,))
        return found is not None

    def delete_user(self, user: str) -> int:
        with self._db.transaction():
            count = self._db.one("select count(*) from sessions where username = ?", (user,))
            self._db.execute("delete from sessions where username = ?", (user,))
        return int(count[0]) if count else 0

    def expire(self, now: datetime) -> int:
        with self._db.transaction():
            count = self._db.one("select count(*) from sessions where expires <= ?", (iso(now),))
            self._db.execute("delete from sessions where expires <= ?", (iso(now),))
        return int(count[0]) if count else 0


def _record(row: Row) -> SessionRecord:
    return SessionRecord(*row)


class MemorySessions:
    """``SessionRepository`` in a dict (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, SessionRecord] = {}
        self._lock = threading.Lock()

    def create(self, user: str, *, now: datetime, ttl: timedelta) -> tuple[SessionRecord, str]:
        record, text = _new(user, now, ttl)
        with self._lock:
            self._items[record.id] = record
        return record, text

    def get(self, text: str, *, now: datetime) -> SessionRecord | None:
        found = self._items.get(session_id(text)) if _valid(text) else None
        return found if found is not None and found.expires > iso(now) else None

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return self._items.pop(session_id, None) is not None

    def delete_user(self, user: str) -> int:
        return self._remove(lambda record: record.user == user)

    def expire(self, now: datetime) -> int:
        return self._remove(lambda record: record.expires <= iso(now))

    def _remove(self, doomed: _Predicate) -> int:
        with self._lock:
            gone = [key for key, record in self._items.items() if doomed(record)]
            for key in gone:
                del self._items[key]
        return len(gone)


class _Predicate(Protocol):
    def __call__(self, record: SessionRecord, /) -> bool: ...
