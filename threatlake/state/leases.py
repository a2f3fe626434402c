"""Leases: "exactly one holder at a time" across processes (one scheduler among several services).

``LeaseRepository`` on SQLite and in memory. ``acquire(name, holder, ttl, now)`` takes the lease when it is
free, expired, or already ``holder``'s (renewing it for ``ttl`` more), in one transaction; a holder renews
well before ``ttl`` runs out and stops its work when ``acquire`` says False. ``release`` frees it early
(only for its holder). Times are passed in, so tests move the clock instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Protocol

from threatlake.state.database import Database, iso

__all__ = ["LeaseRepository", "MemoryLeases", "SqliteLeases"]

_SCHEMA = """
create table if not exists leases (name text primary key, holder text not null, expires text not null);
"""


class LeaseRepository(Protocol):
    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        """True when ``holder`` holds ``name`` until ``now + ttl``."""
        ...

    def release(self, name: str, holder: str) -> bool:
        """True when ``holder`` held ``name`` and let it go."""
        ...

    def holder(self, name: str, now: datetime) -> str | None:
        """Who holds ``name`` at ``now``, if anyone."""
        ...


class SqliteLeases:
    """``LeaseRepository`` in the ``leases`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        with self._db.transaction():
            row = self._db.one("select holder, expires from leases where name = ?", (name,))
            if row is not None and row[0] != holder and row[1] > iso(now):
                return False
            self._db.execute(
                "insert into leases (name, holder, expires) values (?, ?, ?) on conflict (name) do update"
                " set holder = excluded.holder, expires = excluded.expires",
                (name, holder, iso(now + ttl)),
            )
        return True

    def release(self, name: str, holder: str) -> bool:
        with self._db.transaction():
            held = self._db.one("select 1 from leases where name = ? and holder = ?", (name, holder))
            self._db.execute("delete from leases where name = ? and holder = ?", (name, holder))
        return held is not None

    def holder(self, name: str, now: datetime) -> str | None:
        row = self._db.one("select holder from leases where name = ? and expires > ?", (name, iso(now)))
        return str(row[0]) if row else None


class MemoryLeases:
    """``LeaseRepository`` in a dict (tests, one process)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
        with self._lock:
            found = self._items.get(name)
            if found is not None and found[0] != holder and found[1] > iso(now):
                return False
            self._items[name] = (holder, iso(now + ttl))
        return True

    def release(self, name: str, holder: str) -> bool:
        with self._lock:
            if self._items.get(name, ("", ""))[0] != holder:
                return False
            del self._items[name]
        return True

    def holder(self, name: str, now: datetime) -> str | None:
        found = self._items.get(name)
        return found[0] if found is not None and found[1] > iso(now) else None
