"""Prepared rows: ``prepare`` / ``combine`` / IPC give what a write of the events themselves stores."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from threatlake.model import event_id
from threatlake.store.arrow import ARROW_SCHEMA, dedupe, to_table
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.rows import combine, from_ipc, prepare, to_ipc


def _event(key: str, title: str, **more: Any) -> dict[str, Any]:
    return {"event.id": key, "finding.id": f"f-{key}", "finding.title": title, **more}


def _by_id(rows: Any) -> dict[str, dict[str, Any]]:
    return {row["event.id"]: row for row in rows.table.to_pylist()}


def test_prepare_is_dedupe_and_to_table() -> None:
    anonymous = {"finding.id": "z", "timestamp": "2025-08-22T01:40:10Z"}
    events = [_event("a", "one"), _event("a", "again"), anonymous, dict(anonymous), _event("b", "two")]
    rows = prepare(events)
    unique, repeats = dedupe(events)
    assert rows.repeats == repeats == 2 and rows.events == len(events)
    assert rows.table.equals(to_table(unique))
    assert _by_id(rows)["a"]["finding.title"] == "one"  # the first wins
    assert event_id(anonymous) in _by_id(rows)
    empty = prepare([])
    assert empty.table.schema == ARROW_SCHEMA and empty.events == 0


def test_combine_keeps_the_first_part_carrying_an_id() -> None:
    first = prepare([_event("a", "first"), _event("b", "b"), _event("b", "b again")])
    second = prepare([_event("c", "c"), _event("a", "second"), _event("d", "d")])
    third = prepare([_event("d", "third"), _event("e", "e")])
    joined = combine([first, second, third])
    assert joined.events == 8 and joined.repeats == 3  # b (inside the first), a and d (across parts)
    assert {key: row["finding.title"] for key, row in _by_id(joined).items()} == {
        "a": "first",
        "b": "b",
        "c": "c",
        "d": "d",
        "e": "e",
    }
    assert joined.table.schema == ARROW_SCHEMA
    assert combine([first]) is first
    assert combine([]).events == 0


def test_combine_without_repeats_concatenates_in_order() -> None:
    parts = [prepare([_event(f"{n}-{i}", "t") for i in range(3)]) for n in range(4)]
    joined = combine(parts)
    assert joined.repeats == 0
    assert joined.table.column("event.id").to_pylist() == [
        key for part in parts for key in part.table.column("event.id").to_pylist()
    ]


def test_ipc_round_trip_is_the_same_table() -> None:
    rows = prepare([_event("a", "one", **{"actor.ips": ["1.2.3.4"], "custom.x": 3}), _event("a", "two")])
    data, repeats = to_ipc(rows)
    back = from_ipc(pickle.loads(pickle.dumps(data)), repeats)  # as a map worker's answer arrives
    assert back.repeats == 1 and back.table.equals(rows.table)
    assert back.table.schema == ARROW_SCHEMA


@pytest.mark.parametrize("split", [1, 2, 3])
def test_a_write_of_combined_rows_equals_a_write_of_the_events(split: int) -> None:
    events = [_event(f"e{i % 7}", f"t{i}", timestamp=f"2025-08-22T01:40:{i:02d}Z") for i in range(12)]
    plain, prepared = DuckDBStore(":memory:"), DuckDBStore(":memory:")
    try:
        plain.write(events[:2])
        prepared.write_rows(prepare(events[:2]))
        expected = plain.write(events[2:])
        parts = [events[2 + n :: split] for n in range(split)]  # interleaved parts, queue order kept
        got = prepared.write_rows(combine([prepare(part) for part in parts]))
        assert (got.stored, got.duplicates) == (expected.stored, expected.duplicates) == (5, 5)
        assert got.new_ids == expected.new_ids
        query = 'SELECT "event.id", "finding.title" FROM events ORDER BY 1'
        if split == 1:
            assert prepared.execute(query).equals(plain.execute(query))
    finally:
        plain.close()
        prepared.close()
