"""The embedded store: one DuckDB file, ``<data-dir>/threatlake.duckdb``.

One writer: every write goes through a single connection under a lock, in one transaction per batch, and
returns only after ``COMMIT`` (durable). A batch is one Arrow table: ids already stored are found with one
semi-join and filtered out, the rest is inserted with one ``INSERT ... SELECT`` and folded into ``latest``.
Reads run on a cursor of their own (DuckDB's MVCC gives them a consistent snapshot beside the writer).
DuckDB lets one process at a time open a file for writing; a second process gets a retryable ``StoreError``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from threatlake.errors import QueryTimeoutError, StoreError
from threatlake.model import DEFAULT_BUCKET, Event
from threatlake.store import statements as sql
from threatlake.store.arrow import dedupe, to_table
from threatlake.store.protocol import Bucket, Params, WriteResult
from threatlake.store.schema import EVENTS, LATEST, buckets_ddl, events_ddl
from threatlake.store.statements import ROW

__all__ = ["DEFAULT_RETENTION_DAYS", "FILE_NAME", "DuckDBStore"]

FILE_NAME = "threatlake.duckdb"
DEFAULT_RETENTION_DAYS = 365
DIALECT = "duckdb"

MAX_RETENTION_DAYS = 36_500  # a hundred years: the column is a 32-bit integer, and no one needs more
_STAGING = "_threatlake_staging"
_FRESH = "_threatlake_fresh"
_WINNERS = "_threatlake_winners"


def _render(statement: exp.Expr) -> str:
    return statement.sql(dialect=DIALECT)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class DuckDBStore:
    """A ``Store`` on one DuckDB database file (or ``:memory:``)."""

    dialect = DIALECT

    def __init__(self, path: Path | str, *, now: datetime | None = None) -> None:
        self.path = str(path)
        try:
            self._conn = duckdb.connect(self.path)
        except duckdb.IOException as error:
            raise StoreError(f"cannot open {self.path}: {error}", retryable=True) from None
        self._lock = threading.Lock()
        self._closed = False
        self._statements = sql.Statements(_render)
        with self._lock:
            for ddl in (events_ddl(EVENTS, unique_id=True), events_ddl(LATEST, unique_id=False)):
                self._conn.execute(_render(ddl)).fetchall()
            self._conn.execute(_render(buckets_ddl())).fetchall()
        if not any(bucket.name == DEFAULT_BUCKET for bucket in self.list_buckets()):
            self.create_bucket(DEFAULT_BUCKET, DEFAULT_RETENTION_DAYS, now=now or datetime.now(UTC))

    # -- writing -----------------------------------------------------------------------------------------

    def write(self, events: Iterable[Event]) -> WriteResult:
        unique, repeats = dedupe(events)
        if not unique:
            return WriteResult(0, repeats)
        table = to_table(unique)  # built outside the lock: only the database work is serialized
        with self._lock:
            self._check_open()
            try:
                self._conn.begin()
                new_ids = self._insert(table)
                self._conn.commit()
            except duckdb.Error as error:
                self._rollback()
                raise StoreError(f"write to {self.path} failed: {error}", retryable=True) from None
        stored = len(new_ids)
        return WriteResult(stored, repeats + len(unique) - stored, frozenset(new_ids))

    def _insert(self, table: pa.Table) -> list[str]:
        """Insert the rows of ``table`` whose ids are new; fold them into ``latest``. Returns their ids."""
        with self._registered(_STAGING, table):
            known = self._conn.sql(self._statements.known_ids(_STAGING)).to_arrow_table().column(0)
        if len(known):
            table = table.filter(pc.invert(pc.is_in(table.column("event.id"), value_set=known)))
        if not table.num_rows:
            return []
        table = table.append_column(ROW, pa.array(range(table.num_rows), type=pa.int64()))
        with self._registered(_FRESH, table):
            self._conn.execute(self._statements.insert_events(_FRESH)).fetchall()
            rows = self._conn.sql(self._statements.winner_rows(_FRESH)).to_arrow_table().column(0)
        winners = table if len(rows) == table.num_rows else table.take(rows)
        with self._registered(_WINNERS, winners):
            for statement in self._statements.fold_latest(_WINNERS):
                self._conn.execute(statement).fetchall()
        ids: list[str] = table.column("event.id").to_pylist()
        return ids

    @contextmanager
    def _registered(self, name: str, table: pa.Table) -> Iterator[None]:
        self._conn.register(name, table)
        try:
            yield
        finally:
            self._conn.unregister(name)

    def _rollback(self) -> None:
        with suppress(duckdb.Error):  # no transaction was open
            self._conn.rollback()

    # -- reading -----------------------------------------------------------------------------------------

    def execute(self, sql: str, params: Params = None, *, timeout: float | None = None) -> pa.Table:
        self._check_open()
        cursor = self._conn.cursor()
        # The engine stops at the timeout (not just the caller's wait): a runaway query frees its thread.
        timer = threading.Timer(timeout, cursor.interrupt) if timeout is not None else None
        if timer is not None:
            timer.start()
        try:
            bound: Any = list(params) if isinstance(params, list | tuple) else params
            relation = cursor.sql(sql, params=bound)
            return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.InterruptException:
            raise QueryTimeoutError(f"query interrupted after the timeout of {timeout:g} seconds") from None
        except duckdb.Error as error:
            raise StoreError(f"query failed: {error}") from None
        finally:
            if timer is not None:
                timer.cancel()
            cursor.close()

    # -- buckets and retention ---------------------------------------------------------------------------

    def list_buckets(self) -> list[Bucket]:
        rows = self.execute(self._statements.list_buckets()).to_pylist()
        return [
            Bucket(row["name"], row["retention_days"], row["created"].replace(tzinfo=UTC)) for row in rows
        ]

    def create_bucket(self, name: str, retention_days: int, *, now: datetime) -> Bucket:
        if not name or not 1 <= retention_days <= MAX_RETENTION_DAYS:
            raise StoreError(
                f"bucket {name!r}: a bucket needs a name and a retention of 1 to {MAX_RETENTION_DAYS} days"
            )
        created = _naive_utc(now)
        with self._lock:
            self._check_open()
            try:
                self._conn.execute(
                    self._statements.insert_bucket(), [name, int(retention_days), created]
                ).fetchall()
            except duckdb.ConstraintException:
                raise StoreError(f"bucket {name!r} already exists") from None
        return Bucket(name, int(retention_days), created.replace(tzinfo=UTC))

    def delete_bucket(self, name: str) -> int:
        if name == DEFAULT_BUCKET:
            raise StoreError(f"bucket {name!r} is the default bucket and cannot be deleted")
        with self._lock:
            self._check_open()
            self._conn.begin()
            try:
                removed = self._count(self._statements.delete_bucket(), [name])
                if not removed:
                    raise StoreError(f"bucket {name!r} does not exist")
                deleted = self._count(self._statements.delete_events(EVENTS), [name])
                self._count(self._statements.delete_events(LATEST), [name])
                self._conn.commit()
            except BaseException:
                self._rollback()
                raise
        return deleted

    def sweep_retention(self, now: datetime) -> int:
        deleted = 0
        for bucket in self.list_buckets():
            cutoff = _naive_utc(now) - timedelta(days=bucket.retention_days)
            with self._lock:
                self._check_open()
                self._conn.begin()
                try:
                    deleted += self._count(self._statements.expire(EVENTS), [bucket.name, cutoff])
                    self._count(self._statements.expire(LATEST), [bucket.name, cutoff])
                    self._conn.commit()
                except BaseException:
                    self._rollback()
                    raise
        return deleted

    def _count(self, statement: str, params: list[Any]) -> int:
        row = self._conn.execute(statement, params).fetchone()
        return int(row[0]) if row else 0

    # -- lifecycle ---------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @classmethod
    def in_dir(cls, data_dir: Path | str) -> DuckDBStore:
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory / FILE_NAME)

    def __repr__(self) -> str:
        return f"DuckDBStore({self.path!r})"
