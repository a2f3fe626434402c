"""The one transaction helper: a SQLite database shared by the service and the command line.

SQLite in WAL mode, not DuckDB: DuckDB lets one process write a file, and administrative commands
(``threatlake token create``) must work while ``threatlake serve`` holds the event store. One connection per
``Database``, serialized by a re-entrant lock; ``transaction()`` is ``BEGIN IMMEDIATE`` … ``COMMIT`` (or
``ROLLBACK`` when the block raises) and nests: a repository method that opens one inside a caller's
transaction joins it, so the service can make several repositories' changes atomic.

Repositories write portable SQL (``?`` placeholders, ``insert … on conflict … do``, no ``insert or
ignore``, no ``group_concat``, no two-argument ``max``): a PostgreSQL ``Database`` only has to translate the
placeholders. SQLite-only statements (``pragma``) live here and nowhere else.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from threatlake.errors import StoreError

__all__ = ["FILE_NAME", "Database", "Row", "iso", "parse_iso"]

FILE_NAME = "settings.sqlite"
#: How long a statement waits for another process's write lock before failing as retryable (503).
BUSY_SECONDS = 10.0

Row = tuple[Any, ...]


def iso(moment: datetime) -> str:
    """A time as stored: UTC, ISO 8601, seconds, ``Z`` (text sorts as time)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Database:
    """A SQLite file (or ``:memory:``) with one serialized connection and nested transactions."""

    def __init__(self, path: Path | str, *, busy_seconds: float = BUSY_SECONDS) -> None:
        self.path = str(path)
        self.created = self.path == ":memory:" or not Path(self.path).exists()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=busy_seconds, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot open {self.path}: {error}") from None
        self._lock = threading.RLock()
        self._depth = 0
        with self._lock:
            self._conn.execute("pragma journal_mode=wal")
            self._conn.execute("pragma synchronous=normal")
            self._conn.execute("pragma foreign_keys=on")

    @classmethod
    def in_dir(cls, data_dir: Path | str, *, busy_seconds: float = BUSY_SECONDS) -> Database:
        """The settings database of a data directory (created, with its directory, when missing)."""
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory / FILE_NAME, busy_seconds=busy_seconds)

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
            self._run("begin immediate")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("rollback")
                raise
            self._depth = 0
            self._run("commit")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement (in the current transaction, if any) and return its rows."""
        with self._lock:
            return self._run(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            try:
                self._conn.executemany(sql, rows)
            except sqlite3.Error as error:
                raise _store_error(error) from None

    def create(self, schema: str) -> None:
        """Create the tables of a repository (``create table if not exists …`` statements)."""
        with self._lock:
            try:
                self._conn.executescript(schema)
            except sqlite3.Error as error:
                raise _store_error(error) from None

    def add_columns(self, table: str, columns: Mapping[str, str]) -> list[str]:
        """Add the ``columns`` a file made by an older release lacks; returns the ones added (one
        transaction, so two processes opening the same old file at once do not both add them)."""
        with self.transaction():
            present = {row[1] for row in self.execute(f"pragma table_info({table})")}
            added = [name for name in columns if name not in present]
            for name in added:
                self.execute(f"alter table {table} add column {name} {columns[name]}")
        return added

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as error:
            raise _store_error(error) from None


def _store_error(error: sqlite3.Error) -> StoreError:
    if "locked" in str(error) or "busy" in str(error):
        return StoreError(
            "The settings database is busy: another process holds its write lock", retryable=True
        )
    return StoreError(f"settings database: {error}")
