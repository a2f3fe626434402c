"""The fetch order (``query/fetchorder.py``) picks the same rows on DuckDB and chDB: five events, two pairs
sharing a timestamp, so only the ``event.id`` tiebreak decides between them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.store.engines import FreshStore, Pair, chdb_root, fresh_chdb, open_pair

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here

NOW = datetime(2026, 1, 1, 12, 0, 0)
SINCE = NOW - timedelta(days=1)
# (event.id, minutes ago, object.id, risk score)
ROWS = [
    ("b1", 1, "o1", 5.0),
    ("b2", 1, "o1", 5.0),
    ("b3", 2, "o2", 7.0),
    ("b4", 3, "o2", 5.0),
    ("b5", 3, "o3", 7.0),
]


def _event(row: tuple[str, int, str, float]) -> dict[str, Any]:
    event_id, minutes, object_id, score = row
    return {
        "timestamp": NOW - timedelta(minutes=minutes),
        "event.id": event_id,
        "object.id": object_id,
        "dt.security.risk.score": score,
        "actor.ips": ["10.0.0.2", "10.0.0.1", "10.0.0.2"] if event_id == "b1" else ["10.0.0.9"],
    }


@pytest.fixture(scope="module")
def pair(fresh_chdb: FreshStore) -> Iterator[Pair]:
    both = open_pair(fresh_chdb)
    both.write([_event(row) for row in ROWS])
    yield both
    both.duckdb.close()


CASES: list[tuple[str, list[Any]]] = [
    # newest first; the tie at 1 minute: the greater id first
    ("fields event.id | limit 3", ["b2", "b1", "b3"]),
    # the kept row per object: the newest, ties to the greater id
    ("dedup {object.id} | fields event.id | sort event.id", ["b2", "b3", "b5"]),
    # ties in the sort key keep the fetch order (a stable sort)
    ("sort dt.security.risk.score desc | fields event.id", ["b3", "b5", "b2", "b1", "b4"]),
    ("summarize x = collectArray(event.id) | fields event.id = x", [["b2", "b1", "b3", "b5", "b4"]]),
    # first occurrences, in order; the filter reads the stored event.id, not the projection named so
    ("filter event.id == \"b1\" | fields event.id = arrayDistinct(actor.ips)", [["10.0.0.2", "10.0.0.1"]]),
]  # fmt: skip


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_both_engines_keep_the_fetch_order(pair: Pair, query: str, expected: list[Any]) -> None:
    duck, chdb = pair.answers("fetch security.events | " + query, now=NOW, default_from=SINCE)
    assert [r["event.id"] for r in duck] == expected
    assert [r["event.id"] for r in chdb] == expected
