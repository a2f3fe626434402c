"""Migrations: the golden DDL of each backend and form, that it parses (sqlglot, and ClickHouse's own parser
through chDB), that migrating twice applies nothing, and the refusals (a cluster for DuckDB, a second form
of an existing ClickHouse store)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from tests.store.conftest import make_event
from tests.store.engines import chdb_root
from tests.store.regen import CLUSTER, FLAVOURS, render
from threatlake.errors import StoreError
from threatlake.store import Store, open_store, store_plan
from threatlake.store.clickhouse import ChdbClient, ClickHouseStore
from threatlake.store.clickhouse.schema import Target, plan
from threatlake.store.migrations import MIGRATIONS, Migration, report

__all__ = ["chdb_root"]  # the session fixture, used here

_names = iter(range(1, 10_000))


def _statements(path: Path) -> list[str]:
    plan = store_plan(*FLAVOURS[path])
    return [*plan.bootstrap, *(text for step in plan.migrations for text in step.statements)]


@pytest.mark.parametrize("path", list(FLAVOURS), ids=lambda path: path.name)
def test_ddl_matches_the_golden_file(path: Path) -> None:
    assert render(path) == path.read_text(), "run `make golden` and review the diff"


def test_every_duckdb_statement_parses_in_duckdb() -> None:
    """DuckDB's own parser (sqlglot has no node for ``USING COMPRESSION``)."""
    conn = duckdb.connect()
    for statement in _statements(Path(__file__).parent / "golden" / "duckdb.sql"):
        assert "IF NOT EXISTS" in statement
        (parsed,) = conn.extract_statements(statement)
        assert parsed.type in {duckdb.StatementType.CREATE, duckdb.StatementType.ALTER}


@pytest.mark.parametrize("name", ["clickhouse.sql", "clickhouse-cluster.sql"])
def test_every_clickhouse_statement_parses_with_sqlglot(name: str) -> None:
    """Every statement idempotent: ``CREATE … IF NOT EXISTS``, ``ALTER … ADD COLUMN IF NOT EXISTS``,
    ``DROP … IF EXISTS`` (migration 5 replaces the ``latest`` view), the backfill of ``latest_rows``
    (rows a re-run adds again change nothing) or ``MATERIALIZE COLUMN`` (a mutation that may run again)."""
    kinds = {
        sqlglot.exp.Create: "IF NOT EXISTS",
        sqlglot.exp.Alter: "IF NOT EXISTS",
        sqlglot.exp.Drop: "IF EXISTS",
        sqlglot.exp.Insert: "latest_rows",
    }
    for statement in _statements(Path(__file__).parent / "golden" / name):
        parsed = sqlglot.parse_one(statement, read="clickhouse")
        if " MATERIALIZE COLUMN " in statement:
            assert isinstance(parsed, sqlglot.exp.Alter | sqlglot.exp.Command), statement
            continue
        assert type(parsed) in kinds and kinds[type(parsed)] in statement, statement[:80]


@pytest.mark.parametrize("name", ["clickhouse.sql", "clickhouse-cluster.sql"])
def test_clickhouse_parses_every_statement(chdb_root: Path, name: str) -> None:
    """ClickHouse's own parser (``EXPLAIN AST`` parses without running: no cluster needed), on the
    session's chDB engine."""
    client = ChdbClient(chdb_root, "explain")
    try:
        for statement in _statements(Path(__file__).parent / "golden" / name):
            tree = client.query(f"EXPLAIN AST {statement}", {}, {}).column(0).to_pylist()
            assert tree[0].startswith(("CreateQuery", "AlterQuery", "DropQuery", "InsertQuery")), tree
    finally:
        client.close()


def test_the_cluster_form_follows_the_design() -> None:
    statements = _statements(Path(__file__).parent / "golden" / "clickhouse-cluster.sql")
    ddl = [statement for statement in statements if not statement.startswith("INSERT")]  # INSERT has none
    assert all(f'ON CLUSTER "{CLUSTER}"' in statement for statement in ddl)
    created = r"^CREATE TABLE IF NOT EXISTS \"threatlake\"\.events(_local)? ON CLUSTER"
    local, distributed = (s for s in statements if re.search(created, s))
    assert (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/events_local', '{replica}')"
        in local
    )
    assert "TYPE bloom_filter" in local and "ttl_only_drop_parts = 1" in local
    assert "non_replicated_deduplication_window" not in local
    sharding = 'cityHash64(ifNull("finding.id", ifNull("event.id", \'\')))'
    assert f"ENGINE = Distributed('{CLUSTER}', 'threatlake', 'events_local', {sharding})" in distributed
    assert "CODEC" not in distributed and "INDEX" not in distributed  # the Distributed table stores nothing
    whole = {name: s for s in statements for name in ("buckets", "triage", MIGRATIONS) if f".{name} ON" in s}
    for name, statement in whole.items():  # small tables: one replica of every row on every node
        assert f"('/clickhouse/tables/{{database}}/{name}', '{{replica}}')" in statement
    assert 'FROM "threatlake".events FINAL' in next(s for s in statements if "CREATE VIEW" in s)


def _fresh(chdb_root: Path, *, migrate: bool = False) -> ClickHouseStore:
    database = f"m{next(_names)}"
    return ClickHouseStore(ChdbClient(chdb_root, database), database, migrate=migrate)


def _physical_rows(store: ClickHouseStore) -> int:
    """Rows of ``threatlake_migrations`` as stored (not merged away by ``final``)."""
    sql = (
        "SELECT sum(rows) AS n FROM system.parts "
        "WHERE database = {d:String} AND table = {t:String} AND active"
    )
    return int(store.execute(sql, {"d": store.database, "t": MIGRATIONS}).column("n")[0].as_py())


def test_migrating_chdb_twice_applies_nothing_the_second_time(chdb_root: Path) -> None:
    store = _fresh(chdb_root)
    try:
        tables = "SELECT name FROM system.tables WHERE database = {d:String} ORDER BY name"
        assert store.execute(tables, {"d": store.database}).num_rows == 0  # migrate=False: nothing yet
        first = store.migrate()
        versions = [m.version for m in plan(Target(store.database))]
        assert [m.version for m in first.applied] == versions and not first.skipped
        second = store.migrate()
        assert not second.applied and [m.version for m in second.skipped] == versions
        assert not second.changed
        recorded = store.execute(f"SELECT version, name, checksum FROM {MIGRATIONS} ORDER BY version")
        assert recorded.to_pylist() == [
            {"version": m.version, "name": m.name, "checksum": m.checksum} for m in first.applied
        ]
        assert _physical_rows(store) == len(versions)
        names = set(store.execute(tables, {"d": store.database}).column("name").to_pylist())
        assert names == {"buckets", "events", "latest", "latest_feed", "latest_rows", "triage", MIGRATIONS}
        assert [bucket.name for bucket in store.list_buckets()] == ["default_securityevents"]
    finally:
        store.close()


def test_a_store_opened_normally_is_migrated_and_reopening_applies_nothing(chdb_root: Path) -> None:
    store = _fresh(chdb_root, migrate=True)
    try:
        assert not store.migrate().applied
    finally:
        store.close()


def test_a_cluster_beside_single_node_tables_is_refused(chdb_root: Path) -> None:
    store = _fresh(chdb_root, migrate=True)
    try:
        with pytest.raises(
            StoreError, match="has single-node tables; --cluster prod would build another form"
        ):
            store.migrate("prod")
        assert store.cluster is None
    finally:
        store.close()


def test_a_bad_cluster_name_is_refused(chdb_root: Path) -> None:
    with pytest.raises(StoreError, match='cluster "x\'\\); DROP"'):
        store_plan("chdb:///tmp/x", "x'); DROP")


def test_duckdb_migrates_once_and_refuses_a_cluster(tmp_path: Path) -> None:
    store: Store = open_store(tmp_path / "data", migrate=False)
    try:
        assert [m.name for m in store.migrate().applied] == [
            "events",
            "latest table",
            "buckets",
            "triage mirror",
            "latest newest per finding",
            "latest finding digest",
        ]
        assert not store.migrate().applied
        count = store.execute(f"SELECT count(*) AS n FROM {MIGRATIONS}").column("n")[0].as_py()
        assert count == 6
        with pytest.raises(
            StoreError, match="is one embedded file on one machine; cluster DDL is for a ClickHouse"
        ):
            store.migrate("prod")
    finally:
        store.close()
    with pytest.raises(StoreError, match="--cluster prod: the DuckDB store"):
        store_plan(tmp_path, "prod")


def test_a_changed_migration_is_reported_not_rerun() -> None:
    old = Migration(1, "events", ("CREATE TABLE IF NOT EXISTS events (a INT)",))
    new = Migration(1, "events", ("CREATE TABLE IF NOT EXISTS events (a INT, b INT)",))
    later = Migration(2, "latest", ("CREATE VIEW IF NOT EXISTS latest AS SELECT 1",))
    outcome = report([new, later], {1: old.checksum})
    assert outcome.applied == (later,) and outcome.skipped == (new,) and outcome.changed == (new,)
    assert report([new, later], {1: new.checksum, 2: later.checksum}).changed == ()


class _ClusterEngine:
    """A ClickHouse ``Client`` whose ``events`` is a ``Distributed`` table over cluster ``prod``: it answers
    the catalogue, migration and bucket reads as a migrated cluster would and records what is sent."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.inserts: list[tuple[str, dict[str, object]]] = []

    def query(self, sql: str, params: Mapping[str, Any], settings: Mapping[str, Any]) -> pa.Table:
        if "system.tables" in sql:
            return pa.table({"engine_full": ["Distributed('prod', 'db', 'events_local', cityHash64(x))"]})
        if MIGRATIONS in sql:
            done = plan(Target("db", "prod"))
            return pa.table({"version": [m.version for m in done], "checksum": [m.checksum for m in done]})
        if "FROM buckets" in sql:
            created = datetime(2026, 1, 1)
            return pa.table(
                {"name": ["default_securityevents"], "retention_days": [365], "created": [created]}
            )
        if "count()" in sql:
            return pa.table({"n": [3]})
        return pa.table({"id": pa.array([], type=pa.string())})

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.commands.append(sql)

    def insert(self, table: str, data: pa.Table, settings: Mapping[str, Any]) -> None:
        self.inserts.append((table, dict(settings)))

    def close(self) -> None:
        pass


def test_a_cluster_store_writes_synchronously_and_deletes_on_each_shard() -> None:
    engine = _ClusterEngine()
    store = ClickHouseStore(engine, "db")
    assert store.cluster == "prod"
    assert not store.migrate().applied  # the cluster form, recorded: nothing to do, no second form
    store.write([make_event("f-1")])
    assert engine.inserts[0][0] == "events" and engine.inserts[0][1]["insert_distributed_sync"] == 1
    store.sweep_retention(datetime.now(UTC))
    deletes = [sql for sql in engine.commands if sql.startswith("DELETE FROM")]
    shards = (
        'DELETE FROM "db".events_local ON CLUSTER "prod" WHERE',
        'DELETE FROM "db".latest_rows_local ON CLUSTER "prod" WHERE',
    )
    assert deletes and all(sql.startswith(shards) for sql in deletes)
    assert any(sql.startswith(shards[0]) for sql in deletes) and any(
        sql.startswith(shards[1]) for sql in deletes
    )
    store.close()
