"""Every benchmark is documented in ``docs/performance.md``; the store comparison gives its command lines."""

from __future__ import annotations

import re

import pytest

from tests.bench.conftest import ROOT

PERFORMANCE = ROOT / "docs" / "performance.md"
COMPARED = ("query.py", "ingest.py", "disk.py")  # the benchmarks that take --store


def test_every_benchmark_is_in_performance_md() -> None:
    text = PERFORMANCE.read_text()
    missing = [p.name for p in sorted((ROOT / "bench").glob("*.py")) if f"bench/{p.name}" not in text]
    assert not missing, f"docs/performance.md does not name {missing}"


@pytest.mark.parametrize("script", COMPARED)
def test_the_store_comparison_gives_its_command_line(script: str) -> None:
    text = PERFORMANCE.read_text()
    section = text[text.index("## ClickHouse (chDB) beside DuckDB") :]
    assert re.search(rf"python bench/{re.escape(script)} [^\n]*--store duckdb,chdb", section), script


def test_sizing_states_the_measured_clickhouse_bytes() -> None:
    text = (ROOT / "docs" / "scale-out.md").read_text()
    sizing = text[text.index("## Sizing") : text.index("\n## ", text.index("## Sizing") + 1)]
    assert "to be measured" not in sizing
    assert re.search(r"on disk, ClickHouse[^|]*\| [\d,]+", sizing)
