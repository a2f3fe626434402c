"""``ClickHouseStore``: the store on the ClickHouse engine (chDB in-process, or a server over HTTP).

Writes: a batch is deduplicated in memory, its ids already stored are looked up (bloom-filter index on
``event.id``) and left out, and the rest goes in as one Arrow insert with an ``insert_deduplication_token``
made of its ids, so a re-sent batch is not stored twice. The lookup makes the duplicate counts exact for one
writer; with several writers at once they are best effort, and ``ReplacingMergeTree`` merges any duplicate
that slips through (reads run with ``final = 1``, so no answer counts it; the id lookup needs no ``final``:
whether an id is stored does not depend on merges). Each row carries its bucket's ``retention_days``; the
row TTL expires it, and ``sweep_retention`` deletes expired rows at once as well (lightweight ``DELETE``),
counting them. ``latest`` is a small table fed by a materialized view (``latest.py``), exact on every read;
a statement holding the latest-state idiom reads it (``rewrite.py``), and a bucket delete or a retention
sweep deletes the finding keys whose ``latest`` row it deletes, as on DuckDB.

``migrate`` applies ``schema.plan`` and records it in ``threatlake_migrations``. On a cluster (``events`` a
``Distributed`` table, made by ``threatlake migrate --cluster NAME``) the store finds the cluster's name in
``events``' engine: inserts wait until every shard has its rows (``insert_distributed_sync``) and deletes go
to each shard's ``events_local`` ``ON CLUSTER``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from threatlake.errors import StoreError
from threatlake.model import DEFAULT_BUCKET, Event
from threatlake.model.fields import NULL_MARK
from threatlake.store.arrow import triage_arrow
from threatlake.store.clickhouse.client import Client
from threatlake.store.clickhouse.latest import ROWS, key_tuple, newest_statement
from threatlake.store.clickhouse.migrate import apply, events_engine, found_cluster
from threatlake.store.clickhouse.rewrite import rewrite
from threatlake.store.clickhouse.schema import (
    ABSENT_ARRAYS,
    ARRAY_COLUMNS,
    LOCAL,
    PHYSICAL,
    RETENTION,
    Target,
    quoted,
)
from threatlake.store.migrations import MigrationReport
from threatlake.store.protocol import Bucket, Interrupt, Params, Rows, TriageRow, WriteResult
from threatlake.store.rows import prepare
from threatlake.store.schema import BUCKETS, EVENTS, LATEST, TRIAGE

__all__ = ["DIALECT", "ClickHouseStore"]

log = logging.getLogger("threatlake.store")

DIALECT = "clickhouse"
DEFAULT_RETENTION_DAYS = 365
MAX_RETENTION_DAYS = 36_500
_DATABASE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
#: Ids per lookup statement (one bound array each).
_LOOKUP = 10_000
_ID = quoted("event.id")
_BUCKET = f"coalesce({quoted('dt.system.bucket')}, '{DEFAULT_BUCKET}')"
_ARRIVED = f"coalesce({quoted('dt.ingest.time')}, {quoted('timestamp')})"


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def absent_marker(table: pa.Table) -> pa.Array:
    """Per row, the names of the array fields it lacks (ClickHouse keeps no null array: they read ``[]``).

    Vectorised: each row's set of absent fields as a bit code, one list built per distinct code, and the
    rows take theirs (a batch holds few shapes)."""
    codes = pa.array([0] * table.num_rows, pa.int64())
    for bit, name in enumerate(ARRAY_COLUMNS):
        nulls = pc.cast(table.column(name).is_null(), pa.int64())
        codes = pc.add(codes, pc.multiply(nulls, 1 << bit))
    distinct = pc.unique(codes)
    lists = [
        [name for bit, name in enumerate(ARRAY_COLUMNS) if code >> bit & 1] for code in distinct.to_pylist()
    ]
    return pa.array(lists, pa.list_(pa.string())).take(pc.index_in(codes, value_set=distinct))


def null_absent(table: pa.Table) -> pa.Table:
    """A read's ``__null__.<name>`` columns (compiled DQL's flags, ``query/absent.py``) applied: ``name``
    is null where its flag is true or null (an outer join's side that did not match); the flags are
    dropped."""
    for flag_name in [name for name in table.column_names if name.startswith(NULL_MARK)]:
        target = flag_name.removeprefix(NULL_MARK)
        flags = pc.fill_null(pc.cast(table.column(flag_name), pa.bool_()), True)  # null: no row matched
        table = table.drop_columns([flag_name])
        if target in table.column_names:
            index = table.column_names.index(target)
            column = table.column(index)
            nulled = pc.if_else(flags, pa.nulls(len(column), column.type), column)
            table = table.set_column(index, target, nulled)
    return table


def named(sql: str, params: Params) -> tuple[str, dict[str, Any]]:
    """``params`` by name (``p1``…): compiled DQL binds ``{pN:Type}`` to the N-th value."""
    if params is None:
        return sql, {}
    if isinstance(params, Mapping):
        return sql, dict(params)
    return sql, {f"p{number}": value for number, value in enumerate(params, start=1)}


class ClickHouseStore:
    """A ``Store`` in one ClickHouse database, reached through ``client``."""

    dialect = DIALECT

    def __init__(
        self,
        client: Client,
        database: str = "threatlake",
        *,
        name: str = "",
        now: datetime | None = None,
        migrate: bool = True,
    ) -> None:
        if not _DATABASE.match(database):
            raise StoreError(f"ClickHouse database {database!r}: letters, digits and _ only")
        self.database = database
        self.name = name or database
        self._client = client
        self._lock = threading.Lock()
        self._closed = False
        self._now = now
        self.cluster = found_cluster(events_engine(client, database))
        self._latest_table = False  # whether ``latest_rows`` exists (migration 5): the idiom may read it
        if migrate:
            self.migrate()
        else:
            self._latest_table = self._has_latest_table()

    # -- schema ------------------------------------------------------------------------------------------

    def migrate(self, cluster: str | None = None) -> MigrationReport:
        """Apply the migrations the store does not record (``cluster``: as cluster DDL; None: in the form the
        store already has, single-node for a new one); then ensure the default bucket."""
        with self._lock:
            self._check_open()
            target = Target(self.database, cluster or self.cluster)
            outcome = apply(self._client, target, self.name)
            self.cluster = target.cluster
            self._latest_table = True
        if not any(bucket.name == DEFAULT_BUCKET for bucket in self.list_buckets()):
            self.create_bucket(DEFAULT_BUCKET, DEFAULT_RETENTION_DAYS, now=self._now or datetime.now(UTC))
        return outcome

    # -- writing -----------------------------------------------------------------------------------------

    def write(self, events: Iterable[Event]) -> WriteResult:
        return self.write_rows(prepare(events))

    def write_rows(self, rows: Rows) -> WriteResult:
        if not rows.table.num_rows:
            return rows.result([])
        with self._lock:
            self._check_open()
            table = self._new_rows(rows.table)
            if table.num_rows:
                self._insert(table)
        return rows.result(table.column("event.id").to_pylist())

    def _new_rows(self, table: pa.Table) -> pa.Table:
        ids = table.column("event.id").to_pylist()
        known: list[str] = []
        for start in range(0, len(ids), _LOOKUP):
            chunk = ids[start : start + _LOOKUP]
            found = self._read(
                f"SELECT {_ID} AS id FROM {EVENTS} WHERE {_ID} IN {{ids:Array(String)}}",
                {"ids": chunk},
                final=False,  # existence: any copy of an id, merged or not, says it is stored
            )
            known += found.column("id").to_pylist()
        if not known:
            return table
        return table.filter(pc.invert(pc.is_in(table.column("event.id"), value_set=pa.array(known))))

    def _insert(self, table: pa.Table) -> None:
        retention = {bucket.name: bucket.retention_days for bucket in self._buckets()}
        buckets = pc.fill_null(table.column("dt.system.bucket"), DEFAULT_BUCKET).to_pylist()
        days = [retention.get(name, DEFAULT_RETENTION_DAYS) for name in buckets]
        self._warn_expired(table, days)
        staged = table.append_column(RETENTION, pa.array(days, type=pa.uint16()))
        staged = staged.append_column(ABSENT_ARRAYS, absent_marker(table))
        staged = staged.rename_columns([PHYSICAL.get(name, name) for name in staged.column_names])
        token = hashlib.sha256("\n".join(sorted(staged.column("event.id").to_pylist())).encode()).hexdigest()
        settings: dict[str, Any] = {"insert_deduplication_token": token}
        if self.cluster:  # acknowledged only once every shard holds its rows
            settings["insert_distributed_sync"] = 1
        try:
            self._client.insert(EVENTS, staged, settings)
        except StoreError as error:
            raise StoreError(f"write to {self.name} failed: {error.message}", retryable=True) from None

    def _warn_expired(self, table: pa.Table, days: list[int]) -> None:
        """The row TTL drops a row already past its retention on insert: say so, never lose it quietly."""
        arrived = pc.coalesce(table.column("dt.ingest.time"), table.column("timestamp")).to_pylist()
        now = _naive(datetime.now(UTC))
        expired = sum(
            1 for when, keep in zip(arrived, days, strict=True) if when and when + timedelta(days=keep) < now
        )
        if expired:
            log.warning(
                "%s: %d of %d events arrived past their bucket's retention; the TTL drops them at once",
                self.name,
                expired,
                table.num_rows,
            )

    # -- reading -----------------------------------------------------------------------------------------

    def execute(
        self,
        sql: str,
        params: Params = None,
        *,
        timeout: float | None = None,
        interrupt: Interrupt | None = None,
    ) -> pa.Table:
        """``interrupt`` is not honoured: chDB has no way to stop a running statement from another thread
        (a cancelled query runs on to ``max_execution_time``, its answer dropped)."""
        self._check_open()
        rewritten = rewrite(sql, params, self._newest) if self._latest_table else None
        if rewritten is None:
            return null_absent(self._read(sql, params, timeout=timeout))
        final = not rewritten.only_latest
        return null_absent(self._read(rewritten.sql, params, timeout=timeout, final=final))

    def _has_latest_table(self) -> bool:
        found = self._read(
            "SELECT count() AS n FROM system.tables WHERE database = {d:String} AND name = {t:String}",
            {"d": self.database, "t": ROWS},
            final=False,
        )
        return bool(found.column("n")[0].as_py())

    def _newest(self) -> datetime | None:
        """The greatest stored ``timestamp`` (from ``latest_rows``: each key's newest row is there)."""
        found = self._read(newest_statement(), None, final=False).column("newest")[0].as_py()
        return found if isinstance(found, datetime) else None

    def _read(
        self, sql: str, params: Params, *, timeout: float | None = None, final: bool = True
    ) -> pa.Table:
        """``final``: every table read as ``FINAL`` (merged: no duplicate seen); off where an answer cannot
        depend on merges."""
        text, bound = named(sql.rstrip().rstrip(";"), params)
        settings: dict[str, Any] = {"final": int(final)}
        if timeout is not None:
            settings["max_execution_time"] = max(timeout, 0.001)
        return self._client.query(text, bound, settings)

    # -- buckets and retention ---------------------------------------------------------------------------

    def _buckets(self) -> list[Bucket]:
        rows = self._read(f"SELECT name, retention_days, created FROM {BUCKETS} ORDER BY name", None)
        return [
            Bucket(row["name"], int(row["retention_days"]), row["created"].replace(tzinfo=UTC))
            for row in rows.to_pylist()
        ]

    def list_buckets(self) -> list[Bucket]:
        self._check_open()
        return self._buckets()

    def create_bucket(self, name: str, retention_days: int, *, now: datetime) -> Bucket:
        if not name or not 1 <= retention_days <= MAX_RETENTION_DAYS:
            raise StoreError(
                f"bucket {name!r}: a bucket needs a name and a retention of 1 to {MAX_RETENTION_DAYS} days"
            )
        created = _naive(now)
        with self._lock:
            self._check_open()
            if any(bucket.name == name for bucket in self._buckets()):
                raise StoreError(f"bucket {name!r} already exists")
            self._client.command(
                f"INSERT INTO {BUCKETS} (name, retention_days, created) "
                "VALUES ({n:String}, {d:UInt16}, {c:DateTime64(6)})",
                {"n": name, "d": int(retention_days), "c": created},
            )
        return Bucket(name, int(retention_days), created.replace(tzinfo=UTC))

    def _sharded(self, table: str) -> str:
        """Where a mutation of ``table`` goes: itself, or on a cluster each shard's part ``ON CLUSTER``."""
        if self.cluster is None:
            return table
        return f"{quoted(self.database)}.{table}{LOCAL} ON CLUSTER {quoted(self.cluster)}"

    def _count(self, where: str, params: Mapping[str, Any]) -> int:
        result = self._read(f"SELECT count() AS n FROM {EVENTS} WHERE {where}", params)
        return int(result.column("n")[0].as_py())

    def _delete(self, where: str, params: Mapping[str, Any]) -> None:
        """The events matching ``where``, and the finding keys whose ``latest`` row matches it (DuckDB
        deletes the ``latest`` rows matching it: a key's older rows must go too, or they would show)."""
        keys = f"({key_tuple()})"
        self._client.command(
            f"DELETE FROM {self._sharded(ROWS)} WHERE {keys} IN (SELECT {keys} FROM {LATEST} WHERE {where})",
            params,
        )
        self._client.command(f"DELETE FROM {self._sharded(EVENTS)} WHERE {where}", params)

    def delete_bucket(self, name: str) -> int:
        if name == DEFAULT_BUCKET:
            raise StoreError(f"bucket {name!r} is the default bucket and cannot be deleted")
        with self._lock:
            self._check_open()
            if not any(bucket.name == name for bucket in self._buckets()):
                raise StoreError(f"bucket {name!r} does not exist")
            where = f"{_BUCKET} = {{b:String}}"
            deleted = self._count(where, {"b": name})
            self._delete(where, {"b": name})
            self._client.command(f"DELETE FROM {BUCKETS} WHERE name = {{b:String}}", {"b": name})
        return deleted

    def sweep_retention(self, now: datetime) -> int:
        """Delete expired rows now (the TTL would drop them at its next merge), counting them."""
        deleted = 0
        for bucket in self.list_buckets():
            cutoff = _naive(now) - timedelta(days=bucket.retention_days)
            where = f"{_BUCKET} = {{b:String}} AND {_ARRIVED} < {{c:DateTime64(6)}}"
            values = {"b": bucket.name, "c": cutoff}
            with self._lock:
                self._check_open()
                count = self._count(where, values)
                if count:
                    self._delete(where, values)
            deleted += count
        return deleted

    # -- lifecycle ---------------------------------------------------------------------------------------

    # -- triage mirror ---------------------------------------------------------------------------------

    def put_triage(self, rows: Sequence[TriageRow], *, replace: bool = False) -> None:
        """These findings' rows replaced (lightweight ``DELETE``, then insert; ``replace``: the table)."""
        table = triage_arrow(rows)
        with self._lock:
            self._check_open()
            try:
                if replace:
                    self._client.command(f"TRUNCATE TABLE {TRIAGE}")
                elif table.num_rows:
                    ids = table.column("finding.id").to_pylist()
                    self._client.command(
                        f"DELETE FROM {TRIAGE} WHERE {quoted('finding.id')} IN {{ids:Array(String)}}",
                        {"ids": ids},
                    )
                if table.num_rows:
                    self._client.insert(TRIAGE, table, {})
            except StoreError as error:
                raise StoreError(
                    f"mirroring triage in {self.name} failed: {error.message}", retryable=True
                ) from None

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.name} is closed")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._client.close()

    def __enter__(self) -> ClickHouseStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ClickHouseStore({self.name!r})"
