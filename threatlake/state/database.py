"""The one transaction helper every repository writes through, whatever the database under it.

``Database`` is one connection serialized by a re-entrant lock; ``transaction()`` opens a write transaction
(``COMMIT`` at the end of the block, ``ROLLBACK`` when it raises) and nests: a repository method that opens
one inside a caller's transaction joins it, so the service can make several repositories' changes atomic.
A write transaction excludes every other writer of the database, in any process on any machine, until it
ends (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: one transaction-scoped advisory lock). So a repository's
read-then-write (a lease, a version check, a claim) needs no locking of its own on either backend.

Repositories write portable SQL: ``?`` placeholders, ``insert … on conflict … do``, no ``insert or ignore``,
no ``group_concat``, no two-argument ``max``, column types ``text``/``integer``/``blob``. A backend module
(``state/sqlite.py``, ``state/postgresql.py``) translates what its engine spells differently (placeholders,
``blob``, how to list a table's columns) and maps its errors: a busy database or a lost connection is a
retryable ``StoreError`` (503), a broken constraint a ``ConflictError`` (409).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

__all__ = ["BUSY_SECONDS", "Database", "Row", "iso", "parse_iso"]

#: How long a write waits for another process's write lock before failing as retryable (503).
BUSY_SECONDS = 10.0

Row = tuple[Any, ...]


def iso(moment: datetime) -> str:
    """A time as stored: UTC, ISO 8601, seconds, ``Z`` (text sorts as time)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Database:
    """One connection with nested write transactions; a backend fills in the ``_`` methods."""

    #: Other machines may use this database too: files in one node's data directory cannot stand in for it.
    shared: ClassVar[bool] = False

    def __init__(self, where: str) -> None:
        self.where = where  # for messages: a path, or a URL without its password
        self.created = False  # the first process to open it made its tables
        self._lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; an inner ``transaction()`` joins the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._begin()
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._rollback()
                raise
            self._depth = 0
            self._commit()

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement (in the current transaction, if any) and return its rows."""
        with self._lock:
            return self._run(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self._run_many(sql, rows)

    def create(self, schema: str) -> None:
        """Create the tables of a repository (``create table if not exists …`` statements)."""
        with self._lock:
            self._script(schema)

    def add_columns(self, table: str, columns: Mapping[str, str]) -> list[str]:
        """Add the ``columns`` a database made by an older release lacks; returns the ones added (one
        transaction, so two processes opening the same old database at once do not both add them)."""
        with self.transaction():
            present = self._columns(table)
            added = [name for name in columns if name not in present]
            for name in added:
                self._run(self._ddl(f"alter table {table} add column {name} {columns[name]}"), ())
        return added

    def close(self) -> None:
        with self._lock:
            self._close()

    # What a backend module provides.
    def _ddl(self, statement: str) -> str:
        """A data-definition statement in this engine's type names."""
        return statement

    def _begin(self) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        """Roll back, never raising (the block's own error is the one to report)."""
        raise NotImplementedError

    def _run(self, sql: str, params: Sequence[Any]) -> list[Row]:
        raise NotImplementedError

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _script(self, schema: str) -> None:
        """Run data-definition statements (portable types, ``;``-separated)."""
        raise NotImplementedError

    def _columns(self, table: str) -> set[str]:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError
