"""The stored shape (``store/schema.py``'s one description) rendered as ClickHouse DDL.

``events``: a ``ReplacingMergeTree`` (a re-delivered event merges into one row; reads that must not see a
duplicate before the merge use ``FINAL``), ``ORDER BY`` low-cardinality keys first (bucket, event type,
day) and ``event.id`` last, a bloom-filter skip index on ``event.id`` for id lookups, the event's bucket's
``retention_days`` in the partition key with a row TTL counted from arrival (``dt.ingest.time``, else
``timestamp``) and ``ttl_only_drop_parts`` so expiry drops whole parts, long texts ``ZSTD``. ``latest`` is
a view keeping the newest row per finding key (``LIMIT 1 BY``: exact, whatever the merges have done).
``buckets`` names the buckets. Every column keeps the catalogue's name and its type from
``CLICKHOUSE_STORAGE_TYPES``, so compiled DQL reads both stores alike. Names are quoted by sqlglot; the
engine clauses, which sqlglot has no nodes for, are fixed text over names we own.

``plan(Target(database, cluster))`` renders it all as migrations (``store/migrations.py``), single-node or,
with a cluster name, as cluster DDL: every statement ``ON CLUSTER``; ``events`` becomes a
``ReplicatedReplacingMergeTree`` table ``events_local`` on every shard under a ``Distributed`` table
``events`` sharded by a hash of the finding id (a finding's versions, and every copy of an event, share a
shard, so ``FINAL`` and ``LIMIT 1 BY`` stay exact per shard); the small tables (``buckets``, ``triage``,
``threatlake_migrations``) are replicated whole to every node (one Keeper path without ``{shard}``), so a
query on any node reads and joins them locally; ``latest`` stays a view, over the ``Distributed`` table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from threatlake.errors import StoreError
from threatlake.model.fields import ABSENT_ARRAYS, CLICKHOUSE_STORAGE_TYPES, FieldType
from threatlake.store.clickhouse import extra
from threatlake.store.clickhouse.latest import LatestShape, latest_statements
from threatlake.store.migrations import MIGRATIONS, Migration, check_plan
from threatlake.store.schema import (
    BUCKETS,
    COLUMNS,
    EVENTS,
    EXTRA,
    LATEST,
    LATEST_KEY,
    TRIAGE,
    TRIAGE_COLUMNS,
    ZSTD_COLUMNS,
)

__all__ = [
    "ABSENT_ARRAYS",
    "ARRAY_COLUMNS",
    "LOCAL",
    "PHYSICAL",
    "RETENTION",
    "Target",
    "bootstrap",
    "plan",
    "quoted",
]

#: The column holding each row's bucket retention (filled on insert; the TTL and partition key read it).
RETENTION = "retention_days"
_NEVER = "toDateTime64('2105-12-31 00:00:00', 6)"  # a row with no time at all is never expired by TTL


#: The array columns (ClickHouse stores an absent one as ``[]``; ``ABSENT_ARRAYS`` names them per row).
ARRAY_COLUMNS = tuple(col.name for col in COLUMNS if col.type is FieldType.STRING_ARRAY)


def _nested_clashes() -> dict[str, str]:
    """Array columns ClickHouse would take for one ``Nested`` structure (two arrays named ``a.x`` and
    ``a.y`` must have equal lengths on insert, and no setting turns that off): each is stored under a name
    without dots and read through an ``ALIAS`` column of its own name."""
    arrays = [col.name for col in COLUMNS if col.type is FieldType.STRING_ARRAY and "." in col.name]
    prefixes = [name.split(".", 1)[0] for name in arrays]
    return {
        name: name.replace(".", "__")
        for name, prefix in zip(arrays, prefixes, strict=True)
        if prefixes.count(prefix) > 1
    }


#: Catalogue name → the stored column's name, where they differ (see ``_nested_clashes``).
PHYSICAL: dict[str, str] = _nested_clashes()


def quoted(name: str) -> str:
    """``name`` as a ClickHouse identifier (dotted field names are one name)."""
    return exp.to_identifier(name, quoted=True).sql("clickhouse")


def _type(name: str) -> str:
    for col in COLUMNS:
        if col.name == name:
            return CLICKHOUSE_STORAGE_TYPES[col.type] if col.type is not None else "Nullable(String)"
    raise KeyError(name)


def _columns(name: str, *, codecs: bool = True) -> list[str]:
    codec = " CODEC(ZSTD(3))" if codecs and name in ZSTD_COLUMNS else ""
    stored = PHYSICAL.get(name)
    if stored is None:
        return [f"{quoted(name)} {_type(name)}{codec}"]
    return [f"{quoted(stored)} {_type(name)}", f"{quoted(name)} {_type(name)} ALIAS {quoted(stored)}"]


def _key(name: str) -> str:
    return f"ifNull({quoted(name)}, '')"


def _arrival() -> str:
    return f"coalesce({quoted('dt.ingest.time')}, {quoted('timestamp')}, {_NEVER})"


#: The suffix of a sharded table's part on each shard (``events_local`` under ``events``).
LOCAL = "_local"
_CLUSTER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
#: The sharding key of ``events``: every version of a finding (and every copy of an event) on one shard.
SHARDING_KEY = f"cityHash64(ifNull({quoted('finding.id')}, ifNull({quoted('event.id')}, '')))"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the DDL goes: a database, on one server (``cluster`` None) or ``ON CLUSTER`` a named cluster."""

    database: str
    cluster: str | None = None

    def __post_init__(self) -> None:
        if self.cluster is not None and not _CLUSTER.match(self.cluster):
            raise StoreError(
                f"cluster {self.cluster[:100]!r}: a cluster name (as in the servers' remote_servers) is 1 to "
                "100 letters, digits, '_', '.' or '-'"
            )

    def table(self, name: str) -> str:
        return f"{quoted(self.database)}.{name}"

    @property
    def on(self) -> str:
        return f" ON CLUSTER {quoted(self.cluster)}" if self.cluster else ""

    def engine(self, kind: str, table: str, *, sharded: bool) -> str:
        """``kind`` (``MergeTree``, ``ReplacingMergeTree``) here; on a cluster its replicated form, one Keeper
        path per shard (``sharded``) or one for the whole cluster (every node holds every row)."""
        if self.cluster is None:
            return kind
        shard = "{shard}/" if sharded else ""
        return f"Replicated{kind}('/clickhouse/tables/{shard}{{database}}/{table}', '{{replica}}')"


def _event_columns(*, codecs: bool) -> list[str]:
    """The columns of ``events`` (the ``Distributed`` table of a cluster has the same, without codecs)."""
    columns = [text for col in COLUMNS if col.name != EXTRA for text in _columns(col.name, codecs=codecs)]
    return [
        *columns,
        f"{quoted(EXTRA)} Nullable(String){' CODEC(ZSTD(3))' if codecs else ''}",
        f"{quoted(RETENTION)} UInt16 DEFAULT 365",
        f"{quoted(ABSENT_ARRAYS)} Array(LowCardinality(String))",
    ]


def _events(target: Target) -> str:
    table = EVENTS + LOCAL if target.cluster else EVENTS
    columns = _event_columns(codecs=True)
    columns.append(f"INDEX id_bloom {quoted('event.id')} TYPE bloom_filter(0.01) GRANULARITY 4")
    day = f"toStartOfDay(ifNull({quoted('timestamp')}, toDateTime64(0, 6)))"
    order = ", ".join([_key("dt.system.bucket"), _key("event.type"), day, _key("event.id")])
    # replicated tables deduplicate inserts by themselves (replicated_deduplication_window)
    window = "" if target.cluster else ", non_replicated_deduplication_window = 1000"
    return (
        f"CREATE TABLE IF NOT EXISTS {target.table(table)}{target.on} (\n  "
        + ",\n  ".join(columns)
        + f"\n) ENGINE = {target.engine('ReplacingMergeTree', table, sharded=True)}"
        f"\nPARTITION BY ({quoted(RETENTION)}, toYYYYMM({_arrival()}))"
        f"\nORDER BY ({order})"
        f"\nTTL toDateTime({_arrival()}) + toIntervalDay({quoted(RETENTION)})"
        f"\nSETTINGS ttl_only_drop_parts = 1{window}"
    )


def _distributed_events(target: Target) -> str:
    """The cluster's ``events``: the same columns (no codecs or indexes: it stores nothing) over every
    shard's ``events_local``."""
    assert target.cluster is not None
    return (
        f"CREATE TABLE IF NOT EXISTS {target.table(EVENTS)}{target.on} (\n  "
        + ",\n  ".join(_event_columns(codecs=False))
        + f"\n) ENGINE = Distributed('{target.cluster}', '{target.database}', '{EVENTS}{LOCAL}', "
        f"{SHARDING_KEY})"
    )


def _latest(target: Target) -> str:
    key = ", ".join(quoted(name) for name in LATEST_KEY)
    return (
        f"CREATE VIEW IF NOT EXISTS {target.table(LATEST)}{target.on} AS\n"
        f"SELECT {', '.join(quoted(col.name) for col in COLUMNS)} FROM {target.table(EVENTS)} FINAL\n"
        f"ORDER BY {quoted('timestamp')} DESC NULLS LAST, {quoted('event.id')} DESC\n"
        f"LIMIT 1 BY {key}"
    )


def _latest_table(target: Target) -> tuple[str, ...]:
    """Migration 5: ``latest`` as a small table fed by a materialized view (``latest.py``)."""
    definitions = _event_columns(codecs=True)
    stored = [text.split(" ", 1)[0].strip('"') for text in definitions if " ALIAS " not in text]
    shown = [col.name for col in COLUMNS] + [ABSENT_ARRAYS]
    shape = LatestShape(definitions, stored, shown, _arrival(), RETENTION)
    return latest_statements(target, shape)


def _buckets(target: Target) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {target.table(BUCKETS)}{target.on} "
        "(name String, retention_days UInt16, created DateTime64(6))\n"
        f"ENGINE = {target.engine('ReplacingMergeTree', BUCKETS, sharded=False)} ORDER BY name"
    )


def _triage(target: Target) -> str:
    """The triage mirror (``fetch security.triage``): rewritten per finding by ``put_triage``."""
    types = {"VARCHAR": "String", "TIMESTAMP": "DateTime64(6)"}
    columns = ", ".join(
        f"{quoted(name)} {types[kind] if name == 'finding.id' else f'Nullable({types[kind]})'}"
        for name, kind in TRIAGE_COLUMNS.items()
    )
    return (
        f"CREATE TABLE IF NOT EXISTS {target.table(TRIAGE)}{target.on} ({columns})\n"
        f"ENGINE = {target.engine('MergeTree', TRIAGE, sharded=False)} ORDER BY {quoted('finding.id')}"
    )


def bootstrap(target: Target) -> list[str]:
    """The database and the table recording migrations: created before any migration runs."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {quoted(target.database)}{target.on}",
        f"CREATE TABLE IF NOT EXISTS {target.table(MIGRATIONS)}{target.on} "
        "(version UInt32, name String, applied_at DateTime64(6), checksum String)\n"
        f"ENGINE = {target.engine('ReplacingMergeTree', MIGRATIONS, sharded=False)} ORDER BY version",
    ]


def _extra_maps(target: Target) -> Migration:
    """The typed maps of ``extra``'s members and the promoted keys (``extra.py``)."""
    local = target.table(EVENTS + LOCAL) if target.cluster else None
    return extra.migration(target.table(EVENTS), local, target.on)


def plan(target: Target) -> list[Migration]:
    """Every migration of the store in ``target``, in order (each statement idempotent)."""
    events = (_events(target), _distributed_events(target)) if target.cluster else (_events(target),)
    return list(
        check_plan(
            [
                Migration(1, "events", events),
                Migration(2, "latest view", (_latest(target),)),
                Migration(3, "buckets", (_buckets(target),)),
                Migration(4, "triage mirror", (_triage(target),)),
                Migration(5, "latest table", _latest_table(target)),
                _extra_maps(target),
            ]
        )
    )
