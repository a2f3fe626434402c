"""The stored shape (``store/schema.py``'s one description) rendered as DuckDB DDL: sqlglot trees the
DuckDB store renders in its dialect, numbered as migrations by ``plan`` (``store/migrations.py``)."""

from __future__ import annotations

from sqlglot import exp

from threatlake.errors import StoreError
from threatlake.store.duckdb.statements import digest_column, newest_column
from threatlake.store.migrations import MIGRATIONS, Migration, check_plan
from threatlake.store.schema import (
    BUCKETS,
    COLUMNS,
    EVENTS,
    LATEST,
    TRIAGE,
    TRIAGE_COLUMNS,
    ZSTD_COLUMNS,
    Column,
    identifier,
)

__all__ = ["buckets_ddl", "events_ddl", "migrations_ddl", "plan", "triage_ddl"]


def _column_def(name: str, sql_type: str, *constraints: exp.Expr) -> exp.ColumnDef:
    return exp.ColumnDef(
        this=identifier(name),
        kind=exp.DataType.build(sql_type, dialect="duckdb"),
        constraints=[exp.ColumnConstraint(kind=constraint) for constraint in constraints],
    )


def _event_column_def(col: Column, *, unique_id: bool) -> exp.ColumnDef:
    if unique_id and col.name == "event.id":
        return _column_def(col.name, col.sql_type, exp.PrimaryKeyColumnConstraint())
    if col.name in ZSTD_COLUMNS:
        # DuckDB's default string compression spends most of a commit analysing these long texts;
        # zstd writes them several times faster and smaller. (sqlglot has no node for the clause.)
        return _column_def(col.name, col.sql_type, exp.Var(this="USING COMPRESSION ZSTD"))
    return _column_def(col.name, col.sql_type)


def events_ddl(table: str, *, unique_id: bool) -> exp.Create:
    """``CREATE TABLE IF NOT EXISTS`` for ``events`` or ``latest`` (same columns).

    ``unique_id`` makes ``event.id`` the primary key (``events``); ``latest`` holds one row per finding key
    instead, so its ids are unique by construction and it carries no index.
    """
    definitions = [_event_column_def(col, unique_id=unique_id) for col in COLUMNS]
    return exp.Create(
        this=exp.Schema(this=exp.to_table(table), expressions=definitions), kind="TABLE", exists=True
    )


def buckets_ddl() -> exp.Create:
    definitions = [
        _column_def("name", "VARCHAR", exp.PrimaryKeyColumnConstraint()),
        _column_def("retention_days", "INTEGER", exp.NotNullColumnConstraint()),
        _column_def("created", "TIMESTAMP", exp.NotNullColumnConstraint()),
    ]
    return exp.Create(
        this=exp.Schema(this=exp.to_table(BUCKETS), expressions=definitions), kind="TABLE", exists=True
    )


def triage_ddl() -> exp.Create:
    definitions = [
        _column_def(name, sql_type, *([exp.PrimaryKeyColumnConstraint()] if name == "finding.id" else []))
        for name, sql_type in TRIAGE_COLUMNS.items()
    ]
    return exp.Create(
        this=exp.Schema(this=exp.to_table(TRIAGE), expressions=definitions), kind="TABLE", exists=True
    )


def migrations_ddl() -> exp.Create:
    """``threatlake_migrations``: one row per applied migration (see ``store/migrations.py``)."""
    definitions = [
        _column_def("version", "INTEGER", exp.PrimaryKeyColumnConstraint()),
        _column_def("name", "VARCHAR", exp.NotNullColumnConstraint()),
        _column_def("applied_at", "TIMESTAMP", exp.NotNullColumnConstraint()),
        _column_def("checksum", "VARCHAR", exp.NotNullColumnConstraint()),
    ]
    return exp.Create(
        this=exp.Schema(this=exp.to_table(MIGRATIONS), expressions=definitions), kind="TABLE", exists=True
    )


def plan(cluster: str | None = None, location: str = "") -> list[Migration]:
    """Every migration of the DuckDB store at ``location``, rendered, in order (the same steps as
    ClickHouse's plan); a ``cluster`` is refused: DuckDB has no cluster form."""
    if cluster is not None:
        raise StoreError(
            f"--cluster {cluster}: the DuckDB store {location or 'of the data directory'} is one embedded "
            "file on one machine; cluster DDL is for a ClickHouse store "
            "(--store clickhouse://USER:PASS@HOST:8123/DB)"
        )
    steps: list[tuple[int, str, tuple[exp.Expr, ...]]] = [
        (1, "events", (events_ddl(EVENTS, unique_id=True),)),
        (2, "latest table", (events_ddl(LATEST, unique_id=False),)),
        (3, "buckets", (buckets_ddl(),)),
        (4, "triage mirror", (triage_ddl(),)),
        (5, "latest newest per finding", (newest_column(),)),
        (6, "latest finding digest", (digest_column(),)),
    ]
    return list(
        check_plan(
            [
                Migration(version, name, tuple(tree.sql(dialect="duckdb") for tree in trees))
                for version, name, trees in steps
            ]
        )
    )
