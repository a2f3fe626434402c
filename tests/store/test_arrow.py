from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pyarrow as pa
import pytest

from threatlake.model import event_id
from threatlake.store.arrow import ARROW_SCHEMA, dedupe, to_table


def _rows(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["event.id"]: row for row in to_table(events).to_pylist()}


def test_schema_and_empty_batch() -> None:
    assert to_table([]).schema == ARROW_SCHEMA
    assert to_table([]).num_rows == 0


def test_events_of_different_shapes_share_one_table() -> None:
    events = [
        {"event.id": "a", "finding.id": "1"},
        {"finding.id": "2", "event.id": "b", "actor.ips": ["1.2.3.4"]},
        {"event.id": "c", "finding.id": "3"},
    ]
    rows = _rows(events)
    assert rows["b"]["actor.ips"] == ["1.2.3.4"]
    assert rows["a"]["actor.ips"] is None
    assert {rows[key]["finding.id"] for key in "abc"} == {"1", "2", "3"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-22T01:40:10.006000000Z", datetime(2025, 8, 22, 1, 40, 10, 6000)),
        ("2025-08-22T01:40:10.123456789Z", datetime(2025, 8, 22, 1, 40, 10, 123456)),
        ("2025-08-22T03:40:10+02:00", datetime(2025, 8, 22, 1, 40, 10)),
        ("2025-08-22T01:40:10", datetime(2025, 8, 22, 1, 40, 10)),  # naive means UTC
        (
            datetime(2025, 8, 22, 3, 40, 10, tzinfo=timezone(timedelta(hours=2))),
            datetime(2025, 8, 22, 1, 40, 10),
        ),
        (1755826810, datetime(2025, 8, 22, 1, 40, 10)),
    ],
)
def test_timestamps_are_utc_microseconds(text: Any, expected: datetime) -> None:
    rows = _rows([{"event.id": "a", "timestamp": text}, {"event.id": "b", "timestamp": None}])
    assert rows["a"]["timestamp"] == expected
    assert rows["b"]["timestamp"] is None


def test_extra_keeps_unknown_keys_and_values_that_do_not_fit() -> None:
    events = [
        {"event.id": "a", "my.custom": {"nested": [1, 2]}, "finding.count": "many", "timestamp": "soon"},
        {"event.id": "b", "finding.count": "7", "finding.score": 3, "actor.ips": "1.2.3.4"},
    ]
    rows = _rows(events)
    assert orjson.loads(rows["a"]["extra"]) == {
        "my.custom": {"nested": [1, 2]},
        "finding.count": "many",
        "timestamp": "soon",
    }
    assert rows["a"]["finding.count"] is None
    assert rows["b"]["extra"] is None
    assert (rows["b"]["finding.count"], rows["b"]["finding.score"], rows["b"]["actor.ips"]) == (
        7,
        3.0,
        ["1.2.3.4"],
    )


def test_dedupe_keeps_the_first_and_fills_missing_ids() -> None:
    first = {"event.id": "a", "finding.id": "1"}
    anonymous = {"finding.id": "2", "timestamp": "2025-08-22T01:40:10Z"}
    unique, repeats = dedupe([first, {"event.id": "a", "finding.id": "other"}, anonymous, dict(anonymous)])
    assert repeats == 2
    assert unique[0] is first
    assert unique[1]["event.id"] == event_id(anonymous)
    assert "event.id" not in anonymous  # the caller's dict is not changed


def test_boolean_column_coercion() -> None:
    from threatlake.model.fields import FieldType
    from threatlake.store.arrow import _array

    unfit: dict[int, dict[str, Any]] = {}
    array = _array("x.flag", FieldType.BOOLEAN, [True, "false", None, "maybe"], unfit)
    assert array.type == pa.bool_()
    assert array.to_pylist() == [True, False, None, None]
    assert unfit == {3: {"x.flag": "maybe"}}


def test_now_is_not_read() -> None:
    # The table builder is pure: the same events give the same table at any time.
    events = [{"event.id": "a", "timestamp": datetime(2025, 1, 1, tzinfo=UTC)}]
    assert to_table(events).equals(to_table(events))
