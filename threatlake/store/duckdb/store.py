"""The embedded store: one DuckDB file, ``<data-dir>/threatlake.duckdb``.

One writer: every write goes through a single connection under a lock, in one transaction per batch, and
returns only after ``COMMIT`` (durable). A batch is one Arrow table stored by one ``INSERT ... SELECT``: the
primary key on ``event.id`` rejects a batch holding a stored id, and only then are the stored ids looked up
(in the key's index for a small batch, by one semi-join for a large one) and left out. ``latest`` is folded
after the commit, off the write (``latest.py``, ``fold.py``), on a connection of its own: a fold never
holds the writer (its transaction writes only ``latest``, which no write touches). Reads run on a cursor of
their own (DuckDB's MVCC gives them a consistent snapshot beside the writer and the fold).
DuckDB lets one process at a time open a file for writing; a second process gets a retryable ``StoreError``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
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
from threatlake.store.arrow import triage_arrow
from threatlake.store.duckdb import statements as sql
from threatlake.store.duckdb.fold import FoldStatements
from threatlake.store.duckdb.latest import DEFAULT_LAG, Folder, Pending, rewrite
from threatlake.store.duckdb.migrate import apply
from threatlake.store.duckdb.schema import plan
from threatlake.store.duckdb.statements import LOOKUP_IDS, ROW
from threatlake.store.migrations import MigrationReport
from threatlake.store.protocol import Bucket, Interrupt, Params, Rows, TriageRow, WriteResult
from threatlake.store.rows import prepare
from threatlake.store.schema import EVENTS, LATEST

__all__ = ["DEFAULT_RETENTION_DAYS", "FILE_NAME", "FOLD_BYTES", "DuckDBStore"]

FILE_NAME = "threatlake.duckdb"
DEFAULT_RETENTION_DAYS = 365
DIALECT = "duckdb"

MAX_RETENTION_DAYS = 36_500  # a hundred years: the column is a 32-bit integer, and no one needs more
_STAGING = "_threatlake_staging"
_FRESH = "_threatlake_fresh"
_WINNERS = "_threatlake_winners"
_CANDIDATES = "_threatlake_candidates"
_PLAN = "_threatlake_plan"
_TRIAGE_STAGING = "_threatlake_triage"
_MENTIONS_LATEST = re.compile(rf"\b{LATEST}\b", re.IGNORECASE)
#: A batch of at most this share of the stored rows looks its ids up in the index (~20 µs an id) rather
#: than scanning every stored id (~0.1 µs a row).
_LOOKUP_SHARE = 1 / 500
#: Bytes of pending rows folded per statement run: folding a run is exact whatever the runs (each upsert
#: keeps the newer row), and a run stays far below pyarrow's 2 GiB of strings per array.
FOLD_BYTES = 256 * 1024 * 1024


def _render(statement: exp.Expr) -> str:
    return statement.sql(dialect=DIALECT)


_HELD = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


def _open_failure(path: str, error: str) -> str:
    """Why the file did not open; another process's lock is named (its PID), not DuckDB's raw text."""
    held = _HELD.search(error)
    if held is None:
        return f"cannot open {path}: {error}"
    program = Path(held["program"]).name
    return (
        f"the store {path} is in use by another process (PID {held['pid']}, {program}); one process at a "
        "time can open it: stop that process or let it finish, then try again"
    )


def _chunks(tables: list[pa.Table], most: int) -> Iterator[list[pa.Table]]:
    """``tables`` in order, in runs of at most ``most`` bytes (a single larger table alone): a fold of a
    long backlog in one piece would gather more than pyarrow's 2 GiB of strings per array."""
    run: list[pa.Table] = []
    size = 0
    for table in tables:
        if run and size + table.nbytes > most:
            yield run
            run, size = [], 0
        run.append(table)
        size += table.nbytes
    if run:
        yield run


@contextmanager
def _registered(conn: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    conn.register(name, table)
    try:
        yield
    finally:
        conn.unregister(name)


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):  # a failed statement leaves its result open
        conn.abort()
    with suppress(duckdb.Error):  # no transaction was open
        conn.rollback()


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else _naive_utc(moment)


class DuckDBStore:
    """A ``Store`` on one DuckDB database file (or ``:memory:``)."""

    dialect = DIALECT

    def __init__(
        self,
        path: Path | str,
        *,
        now: datetime | None = None,
        lag: float = DEFAULT_LAG,
        memory_limit: str = "",
        migrate: bool = True,
    ) -> None:
        self.path = str(path)
        try:
            # the engine's memory bound covers every query and write of the store together (DuckDB has no
            # per-query limit); operators spill to disk before they fail
            config: dict[str, str | bool | int | float | list[str]] = (
                {"memory_limit": memory_limit} if memory_limit else {}
            )
            self._conn = duckdb.connect(self.path, config=config)
        except duckdb.IOException as error:
            raise StoreError(_open_failure(self.path, str(error)), retryable=True) from None
        # The writer's lock: writes, bucket and triage changes on ``_conn``, and the pending list. Folds run
        # on a connection of their own (``_fold_conn``) beside the writes, one at a time (``_fold_lock``,
        # always taken before ``_lock``); they hold ``_lock`` only to take what is pending and to record
        # that ``latest`` caught up. Re-entrant: a bucket deletion folds while it holds it.
        self._lock = threading.RLock()
        self._fold_lock = threading.Lock()
        self._fold_conn = self._conn.cursor()
        self._closed = False
        self._statements = sql.Statements(_render)
        self._folding = FoldStatements(_render)
        self._now = now
        self._pending = Pending(folded=True)  # until ``_start_locked``
        self._newest: datetime | None = None
        self._started = False
        self._folder = Folder(self._fold, lag)
        if migrate:
            try:
                self.migrate()
            except BaseException:
                self.close()
                raise

    # -- schema ------------------------------------------------------------------------------------------

    def migrate(self, cluster: str | None = None) -> MigrationReport:
        """Apply the migrations the store does not record, then (once) read or rebuild its ``latest`` state
        and ensure the default bucket. A DuckDB store has no cluster form."""
        migrations = plan(cluster, self.path)
        with self._lock:
            self._check_open()
            outcome = apply(self._conn, migrations)
            if not self._started:
                self._start_locked()
        if not any(bucket.name == DEFAULT_BUCKET for bucket in self.list_buckets()):
            self.create_bucket(DEFAULT_BUCKET, DEFAULT_RETENTION_DAYS, now=self._now or datetime.now(UTC))
        return outcome

    def _start_locked(self) -> None:
        for statement in self._statements.latest_folded():
            self._conn.execute(statement).fetchall()
        self._pending = Pending(folded=self._scalar(self._statements.read_latest_folded()) is True)
        if not self._pending.folded:
            self._rebuild_latest()
        else:
            if self._scalar(self._statements.stale_digest()) is not None:  # migration 6, or a new engine
                self._conn.execute(self._statements.set_digests()).fetchall()
            if self._scalar(self._statements.unflagged()) is not None:  # migration 5 just added the flag
                self._conn.execute(self._statements.flag_newest()).fetchall()
        self._newest = self._scalar(self._statements.newest_latest())
        self._started = True

    # -- writing -----------------------------------------------------------------------------------------

    def write(self, events: Iterable[Event]) -> WriteResult:
        return self.write_rows(prepare(events))  # prepared outside the lock: only the database is serialized

    def write_rows(self, rows: Rows) -> WriteResult:
        if not rows.table.num_rows:
            return rows.result([])
        with self._lock:
            self._check_open()
            try:
                fresh = self._insert(rows.table)
            except duckdb.Error as error:
                self._rollback()
                raise StoreError(f"write to {self.path} failed: {error}", retryable=True) from None
            self._pending.add(fresh)
        if fresh.num_rows:
            self._folder.poke()
        return rows.result(fresh.column("event.id").to_pylist())

    @property
    def latest_lag(self) -> float:
        """Seconds since the oldest write that ``latest`` does not hold yet (0 when it holds them all)."""
        return self._pending.lag()

    def _insert(self, table: pa.Table) -> pa.Table:
        """Store, in one transaction, the rows of ``table`` whose ids are new; returns them."""
        self._conn.begin()
        if not self._append(table):  # the primary key refused a stored id: duplicates are the exception
            self._conn.begin()
            table = self._new_rows(table)
            if table.num_rows and not self._append(table):
                raise StoreError(f"write to {self.path}: an id was stored twice", retryable=True)
        if table.num_rows and self._pending.folded:  # the first write after a fold: latest is behind
            self._conn.execute(self._statements.set_latest_folded(), [False]).fetchall()
        self._conn.commit()
        if table.num_rows:
            self._pending.folded = False
        return table

    def _append(self, table: pa.Table) -> bool:
        """Insert ``table``; False (and the transaction rolled back) when one of its ids is stored."""
        self._conn.register(_STAGING, table)
        try:
            self._conn.execute(self._statements.insert_events(_STAGING)).fetchall()
        except duckdb.ConstraintException:
            self._rollback()
            return False
        finally:
            self._conn.unregister(_STAGING)
        return True

    def _new_rows(self, table: pa.Table) -> pa.Table:
        """The rows of ``table`` whose ids ``events`` does not hold."""
        ids = table.column("event.id")
        stored = self._scalar(self._statements.count_events()) or 0
        if len(ids) <= stored * _LOOKUP_SHARE:
            wanted = ids.to_pylist()
            known: list[Any] = []
            for start in range(0, len(wanted), LOOKUP_IDS):
                chunk = wanted[start : start + LOOKUP_IDS]
                chunk += chunk[-1:] * (LOOKUP_IDS - len(chunk))  # one statement text for every chunk
                known += [
                    row[0] for row in self._conn.execute(self._statements.lookup_ids(), chunk).fetchall()
                ]
            found: pa.Array | pa.ChunkedArray = pa.array(known, type=pa.string())
        else:
            with self._registered(_STAGING, table):
                found = self._conn.sql(self._statements.known_ids(_STAGING)).to_arrow_table().column(0)
        return table.filter(pc.invert(pc.is_in(ids, value_set=found))) if len(found) else table

    # -- latest ------------------------------------------------------------------------------------------

    def _fold(self) -> None:
        """Fold every pending write into ``latest`` in one transaction (a no-op when none is pending)."""
        with self._fold_lock:
            if not self._closed:
                self._fold_pending()

    def _fold_pending(self) -> None:
        """Fold what is pending on the fold's connection; the caller holds ``_fold_lock``. Writes go on
        meanwhile; whatever they add waits for the next fold."""
        with self._lock:
            since = self._pending.since
            if not self._pending.tables or since is None:
                return
            self._pending.folding = True  # before the take: a reader that finds no tables waits for it
            tables = self._pending.take()
        try:
            self._fold_taken(tables, since)
        finally:
            self._pending.folding = False

    def _fold_taken(self, tables: list[pa.Table], since: float) -> None:
        """Fold ``tables`` in one transaction; on any failure it is rolled back and they stay pending.
        ``latest_state`` says folded again only if no write committed since the take (under the writer's
        lock, on its connection: the fold's transaction never writes a row a write does)."""
        conn = self._fold_conn
        try:
            conn.begin()
            for chunk in _chunks(tables, FOLD_BYTES):
                self._fold_chunk(chunk)
            conn.commit()
        except BaseException as error:  # pyarrow's ArrowInvalid too: never an open transaction, never lost
            _rollback(conn)
            with self._lock:
                self._pending.put_back(tables, since)
            if not isinstance(error, Exception):
                raise
            raise StoreError(f"folding latest in {self.path} failed: {error}", retryable=True) from None
        with self._lock:
            if not self._pending.tables and not self._pending.folded:
                self._conn.execute(self._statements.set_latest_folded(), [True]).fetchall()
                self._pending.folded = True
        for table in tables:
            newest = pc.max(table.column("timestamp")).as_py()
            if newest is not None and (self._newest is None or newest > self._newest):
                self._newest = newest

    def _fold_chunk(self, tables: list[pa.Table]) -> None:
        """Upsert the newest row per finding key of ``tables`` into ``latest`` (inside the fold's
        transaction), working on the rows of the findings it touches alone (``fold.py``)."""
        conn = self._fold_conn
        table = pa.concat_tables(tables)
        table = table.append_column(ROW, pa.array(range(table.num_rows), type=pa.int64()))
        with _registered(conn, _FRESH, table):
            rows = conn.sql(self._statements.winner_rows(_FRESH)).to_arrow_table().column(0)
        winners = table if len(rows) == table.num_rows else table.take(rows)
        with _registered(conn, _WINNERS, winners):
            candidates = conn.sql(self._folding.candidates(_WINNERS)).to_arrow_table()
            with _registered(conn, _CANDIDATES, candidates):
                plan = conn.sql(self._folding.plan(_WINNERS, _CANDIDATES)).to_arrow_table()
            with _registered(conn, _PLAN, plan):
                for statement in self._folding.apply(_WINNERS, _PLAN):
                    conn.execute(statement).fetchall()

    def _rebuild_latest(self) -> None:
        self._conn.begin()
        try:
            for statement in self._statements.rebuild_latest():
                self._conn.execute(statement).fetchall()
            self._conn.execute(self._statements.set_latest_folded(), [True]).fetchall()
            self._conn.commit()
        except BaseException:
            self._rollback()
            raise
        self._pending.folded = True

    def _scalar(self, statement: str) -> Any:
        rows = self._conn.execute(statement).fetchall()
        return rows[0][0] if rows else None

    def _registered(self, name: str, table: pa.Table) -> AbstractContextManager[None]:
        return _registered(self._conn, name, table)

    def _rollback(self) -> None:
        _rollback(self._conn)

    # -- reading -----------------------------------------------------------------------------------------

    def execute(
        self,
        sql: str,
        params: Params = None,
        *,
        timeout: float | None = None,
        interrupt: Interrupt | None = None,
    ) -> pa.Table:
        self._check_open()
        sql = self._for_latest(sql, params)
        cursor = self._conn.cursor()
        # The engine stops at the timeout (not just the caller's wait): a runaway query frees its thread.
        timer = threading.Timer(timeout, cursor.interrupt) if timeout is not None else None
        if timer is not None:
            timer.start()
        if interrupt is not None:  # query:cancel stops the engine too
            interrupt.bind(cursor.interrupt)
        try:
            if interrupt is not None and interrupt.stopped:  # cancelled before it started: don't start
                raise duckdb.InterruptException("cancelled")
            bound: Any = list(params) if isinstance(params, list | tuple) else params
            relation = cursor.sql(sql, params=bound)
            return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.InterruptException:
            if interrupt is not None and interrupt.stopped:
                raise QueryTimeoutError("query interrupted: it was cancelled") from None
            raise QueryTimeoutError(f"query interrupted after the timeout of {timeout:g} seconds") from None
        except duckdb.Error as error:
            raise StoreError(f"query failed: {error}") from None
        finally:
            if interrupt is not None:
                interrupt.unbind()
            if timer is not None:
                timer.cancel()
            cursor.close()

    def _for_latest(self, sql: str, params: Params) -> str:
        """``sql`` made to see every write in ``latest``, reading it for the latest-state idiom if it can.

        The idiom is looked for first: a text naming ``latest`` may only alias a column so (``max(timestamp)
        AS latest``), and ``rewrite`` folds what is pending before it answers, as a read of ``latest`` must.
        """
        rewritten = rewrite(sql, params, DIALECT, self._catch_up)
        if rewritten is not None:
            return rewritten
        if _MENTIONS_LATEST.search(sql) is not None:
            self._catch_up()
        return sql

    def _catch_up(self) -> datetime | None:
        """Fold what is pending; the greatest ``timestamp`` in ``latest`` then."""
        if self._pending.tables or self._pending.folding:  # folding: the fold thread took them
            with self._fold_lock:
                self._check_open()
                self._fold_pending()
        return self._newest

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
        with self._fold_lock, self._lock:
            self._check_open()
            self._fold_pending()  # or a later fold would bring the deleted rows back into latest
            self._conn.begin()
            try:
                removed = self._count(self._statements.delete_bucket(), [name])
                if not removed:
                    raise StoreError(f"bucket {name!r} does not exist")
                deleted = self._count(self._statements.delete_events(EVENTS), [name])
                if self._count(self._statements.delete_events(LATEST), [name]):
                    self._conn.execute(self._statements.flag_newest()).fetchall()
                self._conn.commit()
            except BaseException:
                self._rollback()
                raise
        return deleted

    def sweep_retention(self, now: datetime) -> int:
        deleted = 0
        for bucket in self.list_buckets():
            cutoff = _naive_utc(now) - timedelta(days=bucket.retention_days)
            with self._fold_lock, self._lock:
                self._check_open()
                self._fold_pending()
                self._conn.begin()
                try:
                    deleted += self._count(self._statements.expire(EVENTS), [bucket.name, cutoff])
                    if self._count(self._statements.expire(LATEST), [bucket.name, cutoff]):
                        self._conn.execute(self._statements.flag_newest()).fetchall()
                    self._conn.commit()
                except BaseException:
                    self._rollback()
                    raise
        return deleted

    def _count(self, statement: str, params: list[Any]) -> int:
        row = self._conn.execute(statement, params).fetchone()
        return int(row[0]) if row else 0

    # -- triage mirror ---------------------------------------------------------------------------------

    def put_triage(self, rows: Sequence[TriageRow], *, replace: bool = False) -> None:
        table = triage_arrow(rows)
        with self._lock:
            self._check_open()
            self._conn.begin()
            try:
                if replace:
                    self._conn.execute(self._statements.triage_clear()).fetchall()
                with self._registered(_TRIAGE_STAGING, table):
                    for statement in self._statements.triage_upsert(_TRIAGE_STAGING):
                        self._conn.execute(statement).fetchall()
                self._conn.commit()
            except duckdb.Error as error:
                self._rollback()
                raise StoreError(f"mirroring triage in {self.path} failed: {error}", retryable=True) from None

    # -- lifecycle ---------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")

    def close(self) -> None:
        self._folder.close()
        with self._fold_lock, self._lock:
            if not self._closed:
                with suppress(StoreError):  # left behind, latest is rebuilt on the next open
                    self._fold_pending()
                self._closed = True
                self._fold_conn.close()
                self._conn.close()

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @classmethod
    def in_dir(cls, data_dir: Path | str, *, memory_limit: str = "", migrate: bool = True) -> DuckDBStore:
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory / FILE_NAME, memory_limit=memory_limit, migrate=migrate)

    def __repr__(self) -> str:
        return f"DuckDBStore({self.path!r})"
