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
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.model.fields import ABSENT_ARRAYS, CLICKHOUSE_STORAGE_TYPES, FieldType
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

__all__ = ["ABSENT_ARRAYS", "ARRAY_COLUMNS", "PHYSICAL", "RETENTION", "ddl", "quoted"]

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


def _columns(name: str) -> list[str]:
    codec = " CODEC(ZSTD(3))" if name in ZSTD_COLUMNS else ""
    stored = PHYSICAL.get(name)
    if stored is None:
        return [f"{quoted(name)} {_type(name)}{codec}"]
    return [f"{quoted(stored)} {_type(name)}", f"{quoted(name)} {_type(name)} ALIAS {quoted(stored)}"]


def _key(name: str) -> str:
    return f"ifNull({quoted(name)}, '')"


def _arrival() -> str:
    return f"coalesce({quoted('dt.ingest.time')}, {quoted('timestamp')}, {_NEVER})"


def _events(database: str) -> str:
    columns = [text for col in COLUMNS if col.name != EXTRA for text in _columns(col.name)]
    columns += [
        f"{quoted(EXTRA)} Nullable(String) CODEC(ZSTD(3))",
        f"{quoted(RETENTION)} UInt16 DEFAULT 365",
        f"{quoted(ABSENT_ARRAYS)} Array(LowCardinality(String))",
        f"INDEX id_bloom {quoted('event.id')} TYPE bloom_filter(0.01) GRANULARITY 4",
    ]
    day = f"toStartOfDay(ifNull({quoted('timestamp')}, toDateTime64(0, 6)))"
    order = ", ".join([_key("dt.system.bucket"), _key("event.type"), day, _key("event.id")])
    return (
        f"CREATE TABLE IF NOT EXISTS {quoted(database)}.{EVENTS} (\n  "
        + ",\n  ".join(columns)
        + f"\n) ENGINE = ReplacingMergeTree\nPARTITION BY ({quoted(RETENTION)}, toYYYYMM({_arrival()}))"
        f"\nORDER BY ({order})"
        f"\nTTL toDateTime({_arrival()}) + toIntervalDay({quoted(RETENTION)})"
        "\nSETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000"
    )


def _latest(database: str) -> str:
    key = ", ".join(quoted(name) for name in LATEST_KEY)
    return (
        f"CREATE VIEW IF NOT EXISTS {quoted(database)}.{LATEST} AS\n"
        f"SELECT {', '.join(quoted(col.name) for col in COLUMNS)} FROM {quoted(database)}.{EVENTS} FINAL\n"
        f"ORDER BY {quoted('timestamp')} DESC NULLS LAST, {quoted('event.id')} DESC\n"
        f"LIMIT 1 BY {key}"
    )


def _buckets(database: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {quoted(database)}.{BUCKETS} "
        "(name String, retention_days UInt16, created DateTime64(6))\n"
        "ENGINE = ReplacingMergeTree ORDER BY name"
    )


def _triage(database: str) -> str:
    """The triage mirror (``fetch security.triage``): rewritten per finding by ``put_triage``."""
    types = {"VARCHAR": "String", "TIMESTAMP": "DateTime64(6)"}
    columns = ", ".join(
        f"{quoted(name)} {types[kind] if name == 'finding.id' else f'Nullable({types[kind]})'}"
        for name, kind in TRIAGE_COLUMNS.items()
    )
    return (
        f"CREATE TABLE IF NOT EXISTS {quoted(database)}.{TRIAGE} ({columns})\n"
        f"ENGINE = MergeTree ORDER BY {quoted('finding.id')}"
    )


def ddl(database: str) -> list[str]:
    """Every statement creating the store in ``database`` (idempotent, in order)."""
    return [
        f"CREATE DATABASE IF NOT EXISTS {quoted(database)}",
        _events(database),
        _latest(database),
        _buckets(database),
        _triage(database),
    ]
