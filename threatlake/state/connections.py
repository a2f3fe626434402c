"""Connections: who sends events (an AWS integration, ``default``, or a name ``--connection`` gave) and their
counters.

``ConnectionRepository`` on SQLite (``SqliteConnections``) and in memory (``MemoryConnections``). Every
connection can be deleted (``default`` and the ones ``--connection`` made too). A deleted connection keeps its
row (its events still name it) and its name can be used again, with counters from zero: by ``create``, or by
``ensure`` when an ingest token or an ingest names it again. ``record_received`` adds durably written events
to the counters (the service calls it, batched). The token ids of a connection come from the token
repository: ``threatlake.service.access`` joins them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from threatlake.errors import ConflictError, NotFoundError, RequestError
from threatlake.state.database import Database, Row, iso

__all__ = [
    "INTEGRATIONS",
    "ConnectionRecord",
    "ConnectionRepository",
    "MemoryConnections",
    "SqliteConnections",
]

#: Integrations a connection can be made for (``threatlake connection create``, POST /platform/connections).
INTEGRATIONS: tuple[str, ...] = ("amazon-guardduty", "aws-security-hub")
#: A connection name is also part of an AWS secret name and a CloudFormation stack name: kept shell-safe.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")

_SCHEMA = """
create table if not exists connections (
    name text primary key, integration text not null, created text not null);
"""
# Columns added to ``connections`` after its first release.
_COLUMNS = {"events_received": "integer not null default 0", "last_seen": "text", "deleted": "text"}
_SELECT = "select name, integration, created, events_received, last_seen, deleted from connections"


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """A connection with its counters (and, when joined by the service, its live token ids)."""

    name: str
    integration: str
    created: str
    tokens: tuple[str, ...] = ()
    events_received: int = 0
    last_seen: str | None = None
    deleted: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "integration": self.integration,
            "created": self.created,
            "tokens": list(self.tokens),
            "eventsReceived": self.events_received,
            "lastSeen": self.last_seen,
        }


class ConnectionRepository(Protocol):
    def ensure(self, name: str, *, now: datetime, integration: str = "custom", revive: bool = True) -> None:
        """Make sure a connection named ``name`` exists (a token's connection); a deleted one comes back
        (with counters from zero) unless ``revive`` is false, when only its row must exist."""
        ...

    def create(self, name: str, integration: str, *, now: datetime) -> ConnectionRecord:
        """A new integration connection: RequestError for a bad name or integration, ConflictError when a
        live connection has the name."""
        ...

    def get(self, name: str) -> ConnectionRecord:
        """The live connection ``name``; NotFoundError otherwise."""
        ...

    def list(self) -> list[ConnectionRecord]:
        """Live connections by name."""
        ...

    def delete(self, name: str, *, now: datetime) -> ConnectionRecord:
        """Mark a connection deleted; NotFoundError for an unknown one."""
        ...

    def record_received(self, counts: Mapping[str, tuple[int, datetime]]) -> None:
        """Add events to counters: name -> (events, time of the latest write); unknown names are ignored."""
        ...


def _check(name: str, integration: str) -> None:
    if integration not in INTEGRATIONS:
        raise RequestError(
            f"unknown integration {integration!r}; valid: {', '.join(INTEGRATIONS)}",
            {"field": "integration", "valid": list(INTEGRATIONS)},
        )
    if not _NAME.fullmatch(name):
        raise RequestError(
            "a connection name has 1 to 63 letters, digits, '.', '_' or '-' and starts with a letter"
            " or digit",
            {"field": "name"},
        )


def _check_plain(name: str) -> None:
    if not name or len(name) > 100:
        raise RequestError("a connection needs a name of 1 to 100 characters", {"field": "connection"})


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"no connection named {name!r}", {"name": name})


class SqliteConnections:
    """``ConnectionRepository`` in the ``connections`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)
        db.add_columns("connections", _COLUMNS)

    def ensure(self, name: str, *, now: datetime, integration: str = "custom", revive: bool = True) -> None:
        _check_plain(name)
        again = (
            " do update set integration = excluded.integration, created = excluded.created, deleted = null,"
            " events_received = 0, last_seen = null where connections.deleted is not null"
        )
        self._db.execute(
            "insert into connections (name, integration, created) values (?, ?, ?)"
            f" on conflict (name){again if revive else ' do nothing'}",
            (name, integration, iso(now)),
        )

    def create(self, name: str, integration: str, *, now: datetime) -> ConnectionRecord:
        _check(name, integration)
        with self._db.transaction():
            row = self._db.one("select deleted from connections where name = ?", (name,))
            if row is not None and row[0] is None:
                raise ConflictError(f"a connection named {name!r} exists", {"name": name})
            self._db.execute(
                "insert into connections (name, integration, created) values (?, ?, ?)"
                " on conflict (name) do update set integration = excluded.integration,"
                " created = excluded.created, deleted = null, events_received = 0, last_seen = null",
                (name, integration, iso(now)),
            )
        return self.get(name)

    def get(self, name: str) -> ConnectionRecord:
        row = self._db.one(f"{_SELECT} where name = ? and deleted is null", (name,))
        if row is None:
            raise _not_found(name)
        return _record(row)

    def list(self) -> list[ConnectionRecord]:
        return [_record(row) for row in self._db.execute(f"{_SELECT} where deleted is null order by name")]

    def delete(self, name: str, *, now: datetime) -> ConnectionRecord:
        record = self.get(name)
        self._db.execute("update connections set deleted = ? where name = ?", (iso(now), name))
        return record

    def record_received(self, counts: Mapping[str, tuple[int, datetime]]) -> None:
        rows = [(count, iso(seen), name) for name, (count, seen) in counts.items() if count]
        if not rows:
            return
        with self._db.transaction():
            self._db.executemany(
                "update connections set events_received = events_received + ?,"
                " last_seen = case when last_seen is null or last_seen < ? then ? else last_seen end"
                " where name = ?",
                [(count, seen, seen, name) for count, seen, name in rows],
            )


def _record(row: Row) -> ConnectionRecord:
    name, integration, created, received, last_seen, deleted = row
    return ConnectionRecord(name, integration, created, (), received, last_seen, deleted)


class MemoryConnections:
    """``ConnectionRepository`` in a dict (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, ConnectionRecord] = {}
        self._lock = threading.Lock()

    def ensure(self, name: str, *, now: datetime, integration: str = "custom", revive: bool = True) -> None:
        _check_plain(name)
        with self._lock:
            found = self._items.get(name)
            if found is None or (revive and found.deleted is not None):
                self._items[name] = ConnectionRecord(name, integration, iso(now))

    def create(self, name: str, integration: str, *, now: datetime) -> ConnectionRecord:
        _check(name, integration)
        with self._lock:
            found = self._items.get(name)
            if found is not None and found.deleted is None:
                raise ConflictError(f"a connection named {name!r} exists", {"name": name})
            self._items[name] = ConnectionRecord(name, integration, iso(now))
            return self._items[name]

    def get(self, name: str) -> ConnectionRecord:
        found = self._items.get(name)
        if found is None or found.deleted is not None:
            raise _not_found(name)
        return found

    def list(self) -> list[ConnectionRecord]:
        return [item for _, item in sorted(self._items.items()) if item.deleted is None]

    def delete(self, name: str, *, now: datetime) -> ConnectionRecord:
        record = self.get(name)
        with self._lock:
            self._items[name] = replace(record, deleted=iso(now))
        return record

    def record_received(self, counts: Mapping[str, tuple[int, datetime]]) -> None:
        with self._lock:
            for name, (count, seen) in counts.items():
                found = self._items.get(name)
                if found is not None and count:
                    last = max(found.last_seen or "", iso(seen))
                    self._items[name] = replace(found, events_received=found.events_received + count,
                                                last_seen=last)  # fmt: skip
