"""``bench/disk.py``: bytes per event of each store, chDB's per column with its codec."""

from __future__ import annotations

import re

import pytest

from tests.bench.conftest import RunBench


@pytest.mark.usefixtures("chdb")
def test_both_stores_and_the_columns_of_chdb(run_bench: RunBench) -> None:
    output = run_bench("disk.py", "--store", "duckdb,chdb", "--findings", "3000", "--generated", "1000")
    stored = int(re.search(r"events stored ([\d,]+)", output)[1].replace(",", ""))  # type: ignore[index]
    assert stored >= 3000
    for store in ("duckdb", "chdb"):
        assert len(re.findall(rf"^{store} store +[\d.]+ MB +\d+ B/event", output, re.MULTILINE)) == 2
    assert (
        len(re.findall(r"^  ratio: findings / store [\d.]+x, delivered / store [\d.]+x$", output, re.M)) == 2
    )
    columns = re.findall(r"^    (\S+) +([\d,]+) +([\d,]+) +[\d.]+ +[\d.]+  (.+)$", output, re.MULTILINE)
    # the eight largest (dt.raw_data among them) of the replicas; the 1,000 generated rows fit a compact part,
    # which keeps no per-column sizes
    assert len(columns) == 8
    assert "  columns: no per-column sizes (a part this small is stored compact)" in output.splitlines()
    assert [codec for name, _, _, codec in columns if name == "dt.raw_data"] == ["CODEC(ZSTD(3))"]
    for _, compressed, uncompressed, _ in columns:
        assert 0 < int(compressed.replace(",", "")) <= int(uncompressed.replace(",", ""))
