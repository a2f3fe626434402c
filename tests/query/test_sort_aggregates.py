"""Sorting by an aggregate after ``summarize``: the sort key is no constant even though it names no column."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from .conftest import EVENTS, NOW, Run


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_summarize_then_sort_by_the_count(run: Run, direction: str) -> None:
    since = NOW - timedelta(days=1)
    expected = Counter(
        str(event["dt.system.bucket"]) for event in EVENTS if since <= event["timestamp"] < NOW
    )
    records = run(
        f"fetch security.events | summarize n = count(), by:{{dt.system.bucket}} | sort n {direction}"
    )
    counts = [int(record["n"]) for record in records]
    assert counts == sorted(expected.values(), reverse=direction == "desc")
    assert {record["dt.system.bucket"]: int(record["n"]) for record in records} == dict(expected)
