"""The stored shape of events: one typed column per catalogue field, plus ``extra`` for every other key.

This is a contract with the query compiler (``threatlake.query``): table ``events`` has one column per
``FIELDS`` entry, named exactly by the dotted name (a quoted identifier), typed string→VARCHAR, long→BIGINT,
double→DOUBLE, boolean→BOOLEAN, timestamp→TIMESTAMP (UTC, naive, µs), array<string>→VARCHAR[]; and a
JSON column ``extra`` holding the non-catalogue keys as an object keyed by dotted name. Table ``latest`` has
the same columns and holds, per ``LATEST_KEY``, the row with the greatest timestamp. Table ``buckets`` names
the buckets and their retention. Table ``triage`` mirrors the triage state (``TRIAGE_COLUMNS``, one row per
triaged finding; the settings state stays the source of truth) so DQL can read it (``fetch security.triage``).
Each backend renders this one description as its DDL (``store/duckdb/schema.py``,
``store/clickhouse/schema.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from threatlake.model.fields import FIELDS, STORAGE_TYPES, FieldType

__all__ = [
    "BUCKETS",
    "COLUMNS",
    "EVENTS",
    "EXTRA",
    "LATEST",
    "LATEST_KEY",
    "LATEST_STATE",
    "SQL_TYPES",
    "TRIAGE",
    "TRIAGE_COLUMNS",
    "ZSTD_COLUMNS",
    "Column",
    "column",
    "identifier",
]

EVENTS = "events"
LATEST = "latest"
LATEST_STATE = (
    "latest_state"  # one row: whether ``latest`` holds every stored event (see store/duckdb/latest.py)
)
BUCKETS = "buckets"
TRIAGE = "triage"
EXTRA = "extra"

#: The identity of a finding's state: the newest row per key wins in ``latest``.
LATEST_KEY: tuple[str, ...] = ("finding.id", "object.id", "vulnerability.id", "component.name")

#: Long free texts, stored with zstd (see ``_event_column_def``).
ZSTD_COLUMNS = frozenset(
    {"dt.raw_data", "event.description", "finding.description", "vulnerability.description", EXTRA}
)

SQL_TYPES: dict[FieldType, str] = STORAGE_TYPES  # the shared contract (model.fields), by its store name


@dataclass(frozen=True, slots=True)
class Column:
    """One stored column: its name (a dotted field name, or ``extra``), catalogue type and SQL type."""

    name: str
    type: FieldType | None
    sql_type: str


COLUMNS: tuple[Column, ...] = (
    *(Column(field.name, field.type, SQL_TYPES[field.type]) for field in FIELDS.values()),
    Column(EXTRA, None, "JSON"),
)


def identifier(name: str) -> exp.Identifier:
    """A quoted identifier: dotted field names are one name, never a path."""
    return exp.to_identifier(name, quoted=True)


def column(name: str, table: str | None = None) -> exp.Column:
    """A quoted column reference, optionally qualified by a table alias."""
    return exp.Column(this=identifier(name), table=identifier(table) if table else None)


#: The ``triage`` mirror's columns (the DQL field names of ``fetch security.triage``) and their SQL types.
TRIAGE_COLUMNS: dict[str, str] = {
    "finding.id": "VARCHAR",
    "triage.status": "VARCHAR",
    "triage.assignee": "VARCHAR",
    "triage.expires": "TIMESTAMP",
    "triage.modified": "TIMESTAMP",
    "triage.modified_by": "VARCHAR",
}
