"""``threatlake migrate``: applies then skips, prints the DDL (the golden files) without a connection, and
refuses a cluster for the DuckDB store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.engines import chdb_root
from tests.store.regen import GOLDEN
from threatlake.cli import main
from threatlake.store.clickhouse.schema import Target, plan

__all__ = ["chdb_root"]  # the session fixture, used here

STEPS = ["events", "latest table", "buckets", "triage mirror"]
DUCKDB_STEPS = [*STEPS, "latest newest per finding", "latest finding digest"]  # DuckDB: 5, 6 on latest


def test_migrate_applies_then_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["migrate", "--data-dir", data]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"migration {n} ({name}): applied in the store's form" for n, name in enumerate(DUCKDB_STEPS, 1)
    ]
    assert err == "6 applied, 0 already applied\n"
    assert main(["migrate", "--data-dir", data]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"migration {n} ({name}): already applied" for n, name in enumerate(DUCKDB_STEPS, 1)
    ]
    assert err == "0 applied, 6 already applied\n"


def test_cluster_on_duckdb_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ([], ["--print"]):
        assert main(["migrate", "--data-dir", str(tmp_path), "--cluster", "prod", *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("threatlake migrate: --cluster prod: the DuckDB store")
        assert "cluster DDL is for a ClickHouse store (--store clickhouse://" in err
    assert not (tmp_path / "threatlake.duckdb").exists()  # refused before the store was touched


def test_print_writes_the_golden_ddl_without_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--store", "clickhouse://nobody:secret@ch.invalid:8123/threatlake"]  # never reached
    assert main(["migrate", *store, "--cluster", "threatlake", "--print"]) == 0
    assert capsys.readouterr().out == (GOLDEN / "clickhouse-cluster.sql").read_text()
    assert main(["migrate", *store, "--print"]) == 0
    assert capsys.readouterr().out == (GOLDEN / "clickhouse.sql").read_text()


def test_print_for_duckdb_leaves_the_store_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--data-dir", str(tmp_path / "data"), "--print"]) == 0
    assert capsys.readouterr().out == (GOLDEN / "duckdb.sql").read_text()
    assert not (tmp_path / "data").exists()


def test_migrate_on_chdb(chdb_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--store", f"chdb://{chdb_root}"]) == 0
    assert main(["migrate", "--store", f"chdb://{chdb_root}"]) == 0
    steps = len(plan(Target("threatlake")))  # the ClickHouse plan (its versions need not be 1..n)
    assert capsys.readouterr().err.splitlines()[-1] == f"0 applied, {steps} already applied"
