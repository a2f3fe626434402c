"""Absent arrays read as null on ClickHouse as on DuckDB (``query/absent.py``): three events, one without
``actor.ips``, one with ``[]``, one with two addresses, in a DuckDB store and a chDB store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.store.engines import FreshStore, Pair, chdb_root, fresh_chdb, open_pair
from threatlake.query import compile_query
from threatlake.store.clickhouse.store import null_absent

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here

NOW = datetime(2026, 1, 1, 12, 0, 0)
SINCE = NOW - timedelta(days=1)


def _event(number: int, ips: list[str] | None) -> dict[str, Any]:
    event: dict[str, Any] = {"timestamp": NOW - timedelta(minutes=number), "event.id": f"a{number}"}
    if ips is not None:
        event["actor.ips"] = ips
    return event


@pytest.fixture(scope="module")
def pair(fresh_chdb: FreshStore) -> Iterator[Pair]:
    both = open_pair(fresh_chdb)
    both.write([_event(1, None), _event(2, []), _event(3, ["10.0.0.1", "192.0.2.1"])])
    yield both
    both.duckdb.close()


def _by_id(pair: Pair, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    duck, chdb = pair.answers(text + " | sort event.id", now=NOW, default_from=SINCE)
    return {r["event.id"]: r.get("x") for r in duck}, {r["event.id"]: r.get("x") for r in chdb}


IPS = ["10.0.0.1", "192.0.2.1"]
THROUGH = "fields event.id, y = actor.ips | limit 10 | fields event.id, "  # a sub-query: the companion
CASES: list[tuple[str, dict[str, Any]]] = [
    ("fields event.id, x = actor.ips", {"a1": None, "a2": [], "a3": IPS}),
    ("fields event.id, x = arraySize(actor.ips)", {"a1": None, "a2": "0", "a3": "2"}),
    ("fields event.id, x = isNull(actor.ips)", {"a1": True, "a2": False, "a3": False}),
    ("fields event.id, x = isNotNull(actor.ips)", {"a1": False, "a2": True, "a3": True}),
    ('fields event.id, x = iAny(actor.ips[] == "10.0.0.1")', {"a1": None, "a2": False, "a3": True}),
    ('fields event.id, x = ipIn(actor.ips, "10.0.0.0/8")', {"a1": None, "a2": False, "a3": True}),
    ('fields event.id, x = coalesce(actor.ips, array("none"))', {"a1": ["none"], "a2": [], "a3": IPS}),
    (THROUGH + "x = arraySize(y)", {"a1": None, "a2": "0", "a3": "2"}),
    (THROUGH + "x = y", {"a1": None, "a2": [], "a3": IPS}),
    # a lookup's side passes its flags by alias; an unmatched row's array is null
    (
        "fields event.id | lookup [fetch security.events | fields event.id, actor.ips], sourceField:event.id,"
        " lookupField:event.id | fields event.id, x = lookup.actor.ips",
        {"a1": None, "a2": [], "a3": IPS},
    ),
    (
        'fields event.id | lookup [fetch security.events | filter event.id == "a3" | fields event.id,'
        " actor.ips], sourceField:event.id, lookupField:event.id | fields event.id, x = lookup.actor.ips",
        {"a1": None, "a2": None, "a3": IPS},
    ),
    # three-valued logic in a filter: an absent array's test is null, so its row is not kept
    ('filter actor.ips != "10.0.0.1" | fields event.id, x = 1', {"a2": "1"}),
    ("filter not(arraySize(actor.ips) > 0) | fields event.id, x = 1", {"a2": "1"}),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_absent_array_answers_as_on_duckdb(pair: Pair, query: str, expected: dict[str, Any]) -> None:
    duck, chdb = _by_id(pair, "fetch security.events | " + query)
    assert duck == expected
    assert chdb == expected


def test_raw_fetch_omits_an_absent_array_and_keeps_an_empty_one(pair: Pair) -> None:
    duck, chdb = pair.answers("fetch security.events | sort event.id", now=NOW, default_from=SINCE)
    for records in (duck, chdb):
        assert ["actor.ips" in r for r in records] == [False, True, True]
        assert records[1]["actor.ips"] == []


def test_an_absent_array_and_an_empty_one_are_two_groups(pair: Pair) -> None:
    text = (
        "fetch security.events | summarize n = count(), by:{actor.ips} | fieldsAdd k = arraySize(actor.ips)"
    )
    for records in pair.answers(text, now=NOW, default_from=SINCE):
        groups = sorted((r.get("k") or "-", r["n"]) for r in records)
        assert groups == [("-", "1"), ("0", "1"), ("2", "1")]


def test_duckdb_sql_carries_no_marker() -> None:
    duckdb_sql = compile_query("fetch security.events | fields x = arraySize(actor.ips)", now=NOW).sql
    assert "absent_arrays" not in duckdb_sql  # DuckDB holds null arrays itself


def test_null_absent_applies_and_drops_the_flags() -> None:
    import pyarrow as pa

    table = pa.table(
        {
            "x": pa.array([[], ["a"], []], pa.list_(pa.string())),
            "__null__.x": pa.array([1, 0, None], pa.uint8()),
        }
    )
    shaped = null_absent(table)
    assert shaped.column_names == ["x"]
    assert shaped.column("x").to_pylist() == [None, ["a"], None]  # a null flag: an unmatched join side
