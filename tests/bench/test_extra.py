"""``bench/extra.py``: both inserts timed, the maps' bytes named, each query on A and B, same answers."""

from __future__ import annotations

import pytest

from tests.bench.conftest import NUMBER, RunBench

QUERIES = [
    "filter string member",
    "filter number member",
    "summarize by string member",
    "avg of number member by string member",
    "filter promoted key",
    "summarize by promoted key",
]
NAME_WIDTH = 40


@pytest.mark.usefixtures("chdb")
def test_json_and_maps_side_by_side(run_bench: RunBench) -> None:
    output = run_bench("extra.py", "--size", "3000", "--repeat", "1")
    assert "insert: JSON only" in output and "extra_string" in output and "extra.service.action" in output
    assert "the maps" in output
    rows = [line for line in output.splitlines() if line[:NAME_WIDTH].strip() in QUERIES]
    assert [line[:NAME_WIDTH].strip() for line in rows] == QUERIES
    for line in rows:
        a, b, ratio, same = line[NAME_WIDTH:].split()
        assert (
            NUMBER.match(a.removesuffix("ms")) and NUMBER.match(b.removesuffix("ms")) and NUMBER.match(ratio)
        )
        assert same == "yes", line
