"""Migrations: the golden DDL of each backend and form, that it parses (sqlglot, and ClickHouse's own parser
through chDB), that migrating twice applies nothing, and the refusals (a cluster for DuckDB, a second form
of an existing ClickHouse store)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import sqlglot

from tests.store.engines import chdb_root
from tests.store.regen import CLUSTER, FLAVOURS, render
from threatlake.errors import StoreError
from threatlake.store import Store, open_store, store_plan
from threatlake.store.clickhouse import ChdbClient, ClickHouseStore
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
        assert parsed.type == duckdb.StatementType.CREATE


@pytest.mark.parametrize("name", ["clickhouse.sql", "clickhouse-cluster.sql"])
def test_every_clickhouse_statement_parses_with_sqlglot(name: str) -> None:
    for statement in _statements(Path(__file__).parent / "golden" / name):
        assert "IF NOT EXISTS" in statement
        assert isinstance(sqlglot.parse_one(statement, read="clickhouse"), sqlglot.exp.Create)


@pytest.mark.parametrize("name", ["clickhouse.sql", "clickhouse-cluster.sql"])
def test_clickhouse_parses_every_statement(chdb_root: Path, name: str) -> None:
    """ClickHouse's own parser (``EXPLAIN AST`` parses without running: no cluster needed), on the
    session's chDB engine."""
    client = ChdbClient(chdb_root, "explain")
    try:
        for statement in _statements(Path(__file__).parent / "golden" / name):
            tree = client.query(f"EXPLAIN AST {statement}", {}, {}).column(0).to_pylist()
            assert tree[0].startswith("CreateQuery"), tree
    finally:
        client.close()


def test_the_cluster_form_follows_the_design() -> None:
    statements = _statements(Path(__file__).parent / "golden" / "clickhouse-cluster.sql")
    assert all(f'ON CLUSTER "{CLUSTER}"' in statement for statement in statements)
    local, distributed = (s for s in statements if re.search(r"\.events(_local)? ON CLUSTER", s))
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
        assert [m.version for m in first.applied] == [1, 2, 3, 4] and not first.skipped
        second = store.migrate()
        assert not second.applied and [m.version for m in second.skipped] == [1, 2, 3, 4]
        assert not second.changed
        recorded = store.execute(f"SELECT version, name, checksum FROM {MIGRATIONS} ORDER BY version")
        assert recorded.to_pylist() == [
            {"version": m.version, "name": m.name, "checksum": m.checksum} for m in first.applied
        ]
        assert _physical_rows(store) == 4
        names = set(store.execute(tables, {"d": store.database}).column("name").to_pylist())
        assert names == {"buckets", "events", "latest", "triage", MIGRATIONS}
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
        ]
        assert not store.migrate().applied
        count = store.execute(f"SELECT count(*) AS n FROM {MIGRATIONS}").column("n")[0].as_py()
        assert count == 4
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
