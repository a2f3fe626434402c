"""The state on SQLite: ``settings.sqlite`` in the data directory (the default, one machine).

SQLite in WAL mode, not DuckDB: DuckDB lets one process write a file, and administrative commands
(``threatlake token create``) must work while ``threatlake serve`` holds the event store. A write
transaction is ``BEGIN IMMEDIATE``, which takes the file's write lock at once, so every process using the
file writes one at a time. SQLite-only statements (``pragma``) live here and nowhere else.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from threatlake.errors import ConflictError, StoreError
from threatlake.state.database import BUSY_SECONDS, Database, Row

__all__ = ["FILE_NAME", "SqliteDatabase"]

FILE_NAME = "settings.sqlite"


class SqliteDatabase(Database):
    """A SQLite file (or ``:memory:``) with one serialized connection."""

    def __init__(self, path: Path | str, *, busy_seconds: float = BUSY_SECONDS) -> None:
        super().__init__(str(path))
        self.path = str(path)
        self.created = self.path == ":memory:" or not Path(self.path).exists()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=busy_seconds, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot open {self.path}: {error}") from None
        with self._lock:
            self._conn.execute("pragma journal_mode=wal")
            self._conn.execute("pragma synchronous=normal")
            self._conn.execute("pragma foreign_keys=on")

    @classmethod
    def in_dir(cls, data_dir: Path | str, *, busy_seconds: float = BUSY_SECONDS) -> SqliteDatabase:
        """The settings database of a data directory (created, with its directory, when missing)."""
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory / FILE_NAME, busy_seconds=busy_seconds)

    def _begin(self) -> None:
        self._cursor("begin immediate")

    def _commit(self) -> None:
        self._cursor("commit")

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("rollback")

    def _run(self, sql: str, params: Sequence[Any]) -> list[Row]:
        return self._cursor(sql, params).fetchall()

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.Error as error:
            raise _store_error(error) from None

    def _script(self, schema: str) -> None:
        # not inside a transaction: ``executescript`` would commit it first
        try:
            self._conn.executescript(schema)
        except sqlite3.Error as error:
            raise _store_error(error) from None

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._run(f"pragma table_info({table})", ())}

    def _close(self) -> None:
        self._conn.close()

    def _cursor(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as error:
            raise _store_error(error) from None


def _store_error(error: sqlite3.Error) -> StoreError | ConflictError:
    if isinstance(error, sqlite3.IntegrityError):
        return ConflictError(f"settings database: {error}")
    if "locked" in str(error) or "busy" in str(error):
        return StoreError(
            "The settings database is busy: another process holds its write lock", retryable=True
        )
    return StoreError(f"settings database: {error}")
