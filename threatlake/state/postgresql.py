"""The state on PostgreSQL (psycopg 3): one database shared by every ``threatlake serve`` node.

Selected with the ``state`` setting, ``postgresql://user:password@host:5432/database``. The repositories
are the same as on SQLite; this module only translates what PostgreSQL spells differently: ``?``
placeholders become ``%s``, ``blob`` becomes ``bytea``, ``text`` columns compare byte-wise
(``collate "C"``, as SQLite does, so lists sort the same on both), and a table's columns come from
``information_schema``.

A write transaction first takes one transaction-scoped advisory lock (``pg_advisory_xact_lock``), so write
transactions run one at a time across every node, exactly as SQLite's ``BEGIN IMMEDIATE`` orders the
processes sharing a file: the scheduler lease, version checks and slot claims hold across machines.
Statements outside a transaction run in autocommit. ``lock_timeout`` bounds the wait for that lock (then
a retryable ``StoreError``) and ``statement_timeout`` bounds every statement. A connection lost between
transactions is opened again on the next use; one lost inside a transaction fails that transaction
(retryable).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import errors as pg_errors

from threatlake.errors import ConflictError, StoreError
from threatlake.state.database import BUSY_SECONDS, Database, Row

__all__ = ["LOCK_KEY", "PostgresDatabase", "redacted"]

#: The advisory lock of write transactions (``pg_advisory_xact_lock``): "threatlk" as a 64-bit number.
LOCK_KEY = int.from_bytes(b"threatlk", "big") & 0x7FFF_FFFF_FFFF_FFFF
CONNECT_SECONDS = 10
STATEMENT_SECONDS = 30.0
#: Portable column type -> PostgreSQL's.
_TYPES = {"blob": "bytea", "text": 'text collate "C"'}
_TYPE_WORDS = re.compile(r"\b(" + "|".join(_TYPES) + r")\b")
# a quoted literal (its ``?`` kept) or a character psycopg reads as a placeholder (``%``: in literals too)
_PLACEHOLDERS = re.compile(r"'(?:[^']|'')*'|[?%]")


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ""
    return parts._replace(netloc=user + netloc).geturl()


@functools.lru_cache(maxsize=1024)
def _placeholders(sql: str) -> str:
    return _PLACEHOLDERS.sub(lambda m: {"?": "%s"}.get(m[0], m[0].replace("%", "%%")), sql)


class PostgresDatabase(Database):
    """A PostgreSQL database (``postgresql://…``) with one serialized connection."""

    shared = True

    def __init__(self, url: str, *, busy_seconds: float = BUSY_SECONDS) -> None:
        super().__init__(redacted(url))
        self._url = url
        self._busy = busy_seconds
        self._conn = self._connect()
        self.created = not self._run(
            "select 1 from information_schema.tables where table_schema = current_schema() limit 1", ()
        )

    def _connect(self) -> psycopg.Connection[Row]:
        try:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_SECONDS)
        except psycopg.ProgrammingError as error:  # a URL libpq cannot read
            raise StoreError(f"invalid state database URL {self.where}: {error}") from None
        except psycopg.Error as error:
            raise StoreError(
                f"cannot connect to the state database {self.where}: {error}", retryable=True
            ) from None
        for name, seconds in (("lock_timeout", self._busy), ("statement_timeout", STATEMENT_SECONDS)):
            conn.execute("select set_config(%s, %s, false)", (name, f"{round(seconds * 1000)}ms"))
        return conn

    def _live(self) -> psycopg.Connection[Row]:
        """The connection, opened again when it was lost between transactions."""
        if (self._conn.closed or self._conn.broken) and not self.in_transaction:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = self._connect()
        return self._conn

    def _begin(self) -> None:
        conn = self._live()
        try:
            conn.execute("begin")
            conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        except psycopg.Error as error:
            self._rollback()
            raise self._error(error) from None

    def _commit(self) -> None:
        self._run("commit", ())

    def _rollback(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._conn.execute("rollback")

    def _run(self, sql: str, params: Sequence[Any]) -> list[Row]:
        try:
            # without parameters psycopg reads no placeholders (and a schema may hold several statements)
            query, bound = (_placeholders(sql), params) if params else (sql, None)
            cursor = self._live().execute(query, bound)
            return cursor.fetchall() if cursor.description is not None else []
        except psycopg.Error as error:
            raise self._error(error) from None

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self._live().cursor() as cursor:
                cursor.executemany(_placeholders(sql), rows)
        except psycopg.Error as error:
            raise self._error(error) from None

    def _ddl(self, statement: str) -> str:
        return _TYPE_WORDS.sub(lambda m: _TYPES[m[1]], statement)

    def _script(self, schema: str) -> None:
        # in a write transaction: two nodes starting at once do not both create a table
        with self.transaction():
            self._run(self._ddl(schema), ())

    def _columns(self, table: str) -> set[str]:
        rows = self._run(
            "select column_name from information_schema.columns"
            " where table_schema = current_schema() and table_name = ?",
            (table,),
        )
        return {str(row[0]) for row in rows}

    def _close(self) -> None:
        self._conn.close()

    def _error(self, error: psycopg.Error) -> StoreError | ConflictError:
        if isinstance(error, pg_errors.IntegrityError):
            return ConflictError(f"state database: {error}")
        if isinstance(error, pg_errors.LockNotAvailable):
            return StoreError("The state database is busy: another node holds its write lock", retryable=True)
        if isinstance(error, psycopg.OperationalError):
            return StoreError(f"state database {self.where} unavailable: {error}", retryable=True)
        return StoreError(f"state database: {error}")
