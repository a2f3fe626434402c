"""``bench/fold.py``: per stored size, the median write and fold of this checkout and of another one."""

from __future__ import annotations

import re

from tests.bench.conftest import ROOT, RunBench

LINE = re.compile(
    r"^  (?P<tree>this|other) +write +(?P<write>[\d,.]+) ms  fold +(?P<fold>[\d,.]+) ms "
    r"\( *[\d,]+-[\d,]+\)(?: +(?P<versus>[\d.]+)x other)?$"
)


def test_each_size_prints_this_and_the_other_checkout(run_bench: RunBench) -> None:
    output = run_bench(
        "fold.py", "--stored", "0", "1000", "--writes", "2", "--batch", "20", "--rounds", "1",
        "--code", str(ROOT),
    )  # fmt: skip
    headers = [line for line in output.splitlines() if "stored," in line]
    assert headers == [
        "0 stored, 2 writes of 20 events, 1 rounds (medians):",
        "1,000 stored, 2 writes of 20 events, 1 rounds (medians):",
    ]
    lines = [match for line in output.splitlines() if (match := LINE.match(line))]
    assert [m["tree"] for m in lines] == ["this", "other"] * 2
    for match in lines:
        assert float(match["fold"].replace(",", "")) > 0
        assert match["versus"] is not None
        if match["tree"] == "other":
            assert match["versus"] == "1.00"
