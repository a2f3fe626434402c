"""``bench/query.py``: one table per size, both stores side by side, the same DQL answers on both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.conftest import NUMBER, RunBench

QUERIES = [
    "filtered count",
    "top-10 accounts",
    "hourly timeseries 7d",
    "distinct objects",
    "latest state per finding",
]
NAME_WIDTH = 24


def _rows(output: str) -> list[list[str]]:
    rows = []
    for line in output.splitlines():
        name = line[:NAME_WIDTH].strip()
        if name in QUERIES:
            rows.append([name] + [cell for part in line[NAME_WIDTH:].split("|") for cell in part.split()])
    return rows


@pytest.mark.usefixtures("chdb")
def test_both_stores_side_by_side(run_bench: RunBench) -> None:
    # every hourly bin holds events at these sizes (an empty one reads null on DuckDB, 0 on chDB: a known gap)
    output = run_bench("query.py", "--store", "duckdb,chdb", "--sizes", "5000", "10000", "--repeat", "1")
    assert "duckdb: 5,000 events ready" in output and "chdb: 10,000 events ready" in output
    header = next(line for line in output.splitlines() if line.startswith("query"))
    assert [cell.strip().split()[0] for cell in header.split("|")[1:]] == ["duckdb", "chdb", "chdb/duckdb"]
    rows = _rows(output)
    assert [row[0] for row in rows] == QUERIES * 2  # one table per size, every query
    for row in rows:
        # per store DQL ms, SQL ms, DQL/SQL, compile ms; then the DQL ratio and whether the answers agree
        assert len(row) == 1 + 4 + 4 + 2, row
        assert all(NUMBER.match(cell) for cell in row[1:10]), row
        assert row[10] == ("(ties)" if row[0] == "top-10 accounts" else "yes"), row


def test_a_second_run_reuses_the_generated_store(run_bench: RunBench, tmp_path: Path) -> None:
    run_bench("query.py", "--sizes", "1000", "--repeat", "1")
    made = (tmp_path / "duckdb-1000").stat().st_ino
    again = run_bench("query.py", "--sizes", "1000", "--repeat", "1")
    assert (tmp_path / "duckdb-1000").stat().st_ino == made  # not removed and generated again
    assert len(_rows(again)) == len(QUERIES)
    assert all(len(row) == 1 + 4 for row in _rows(again))  # one store: no comparison columns


def test_an_unknown_store_is_refused(run_bench: RunBench) -> None:
    with pytest.raises(AssertionError, match="choose from duckdb, chdb"):
        run_bench("query.py", "--store", "duckdb,sqlite", "--sizes", "10")
