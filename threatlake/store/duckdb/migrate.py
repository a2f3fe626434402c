"""Applying the DuckDB schema plan (``schema.plan``): each migration the store does not record runs with
its record (version, name, applied_at, checksum) in one transaction, so a migration is applied wholly or
not at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
from sqlglot import exp

from threatlake.store.duckdb.schema import migrations_ddl
from threatlake.store.migrations import MIGRATIONS, Migration, MigrationReport, report

__all__ = ["apply"]

_COLUMNS = ("version", "name", "applied_at", "checksum")
_RECORDED = exp.select("version", "checksum").from_(MIGRATIONS).sql(dialect="duckdb")
_RECORD = exp.insert(
    exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder() for _ in _COLUMNS])]),
    MIGRATIONS,
    columns=list(_COLUMNS),
).sql(dialect="duckdb")


def apply(conn: duckdb.DuckDBPyConnection, migrations: Sequence[Migration]) -> MigrationReport:
    """Run on ``conn`` (the store's writer, under its lock) the ``migrations`` that
    ``threatlake_migrations`` lacks."""
    conn.execute(migrations_ddl().sql(dialect="duckdb")).fetchall()
    outcome = report(migrations, dict(conn.execute(_RECORDED).fetchall()))
    for migration in outcome.applied:
        conn.begin()
        try:
            for statement in migration.statements:
                conn.execute(statement).fetchall()
            applied_at = datetime.now(UTC).replace(tzinfo=None)
            conn.execute(_RECORD, [migration.version, migration.name, applied_at, migration.checksum])
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    return outcome
