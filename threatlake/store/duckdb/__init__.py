"""The embedded DuckDB store: one file, ``<data-dir>/threatlake.duckdb``.

``schema.py`` renders the one stored shape (``store/schema.py``) as DuckDB DDL, ``statements.py`` holds the
statements that write, fold ``latest`` and sweep retention, ``latest.py`` folds ``latest`` off the write, and
``store.py`` implements the ``Store`` protocol over them.
"""

from __future__ import annotations

from threatlake.store.duckdb.schema import migrations_ddl, plan
from threatlake.store.duckdb.store import (
    DEFAULT_RETENTION_DAYS,
    DIALECT,
    FILE_NAME,
    MAX_RETENTION_DAYS,
    DuckDBStore,
)
from threatlake.store.migrations import Plan

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "DIALECT",
    "FILE_NAME",
    "MAX_RETENTION_DAYS",
    "DuckDBStore",
    "duckdb_plan",
]


def duckdb_plan(location: str, cluster: str | None) -> Plan:
    """The DuckDB store's schema (the same wherever it lives); it has no cluster form."""
    migrations = tuple(plan(cluster, location))
    return Plan((migrations_ddl().sql(dialect=DIALECT),), migrations)
