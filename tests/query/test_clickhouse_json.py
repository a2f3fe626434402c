"""Dynamic values on both stores: members of ``extra`` and of parsed JSON, their text, JSON arrays, records
with names that are not identifiers, concat of nulls and elements out of range answer the same on DuckDB and
chDB, and that answer is the one written here (DuckDB's, the reference; see ``query/clickhouse_json.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.store.engines import FreshStore, Pair, chdb_root, fresh_chdb, open_pair

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here

NOW = datetime(2026, 1, 1, 12, 0, 0)
RAW_OBJECT = {"id": "r1", "dotted.key": 3, 'quo"te': "q", "nested": {"deep": {"x": True}}, "nil": None}


def _event(i: int, raw: str, **fields: Any) -> dict[str, Any]:
    return {
        "timestamp": NOW - timedelta(minutes=i),
        "event.id": f"e{i}",
        "event.kind": "SECURITY_EVENT",
        "dt.raw_data": raw,
        "dt.ingest.time": datetime.now(UTC).isoformat(),
        **fields,
    }


EVENTS = [
    _event(
        1,
        json.dumps(RAW_OBJECT),
        **{
            "actor.ips": ["10.0.0.1", "10.0.0.2"],
            "svc.text": "abc",
            "svc.num": 1.5,
            "svc.list": ["T1", "T2"],
            "svc.obj": {"a": {"b": 2}},
            "svc.mixed": 9.5,
        },
    ),
    _event(2, "not json {", **{"actor.ips": [], "svc.num": 7, "svc.mixed": "high", "svc.list": ["T3"]}),
    _event(
        3, "[1, 2]", **{"actor.ips": ["10.0.0.3"], "svc.list": "not a list", "svc.text": "", "svc.mixed": 12}
    ),
]


@pytest.fixture(scope="module")
def pair(fresh_chdb: FreshStore) -> Iterator[Pair]:
    both = open_pair(fresh_chdb)
    both.write(EVENTS)
    yield both
    both.duckdb.close()


def answers(pair: Pair, pipeline: str) -> list[dict[str, Any]]:
    """The records of ``fetch security.events | <pipeline> | sort event.id`` — the same on both stores."""
    text = f"fetch security.events | {pipeline} | sort event.id"
    duck, chdb = pair.answers(text, now=NOW, default_from=NOW - timedelta(days=1))
    assert chdb == duck
    return duck


def column(pair: Pair, pipeline: str, name: str = "x") -> list[Any]:
    """One field's values, by event id (``name`` as the query writes it: back-quoted when it must be)."""
    records = answers(pair, f"{pipeline} | fields event.id, {name}")
    return [record.get(name.strip("`")) for record in records]


def test_a_missing_member_is_null_and_present_ones_keep_their_type(pair: Pair) -> None:
    assert column(pair, "fieldsAdd x = svc.text") == ["abc", None, ""]
    assert column(pair, "fieldsAdd x = svc.num") == [1.5, "7", None]  # a long, as text
    assert column(pair, "fieldsAdd x = svc.list") == [["T1", "T2"], ["T3"], "not a list"]
    assert column(pair, "fieldsAdd x = svc.obj[a][b]") == ["2", None, None]
    assert column(pair, "fieldsAdd x = isNull(svc.missing)") == [True, True, True]


def test_members_compare_and_aggregate_as_numbers(pair: Pair) -> None:
    assert column(pair, "filter svc.num > 1 | fieldsAdd x = svc.num") == [1.5, "7"]
    summary = pair.answers(
        "fetch security.events | summarize lo = min(svc.num), hi = takeMax(svc.num), n = count()",
        now=NOW,
        default_from=NOW - timedelta(days=1),
    )
    assert summary[0] == summary[1] == [{"lo": 1.5, "hi": "7", "n": "3"}]


def test_mixed_types_compare_numbers_as_numbers_first(pair: Pair) -> None:
    query = (
        "fetch security.events | summarize hi = max(svc.mixed), lo = min(svc.mixed), top = takeMax(svc.mixed)"
    )
    duck, chdb = pair.answers(query, now=NOW, default_from=NOW - timedelta(days=1))
    assert duck == chdb == [{"hi": "12", "lo": 9.5, "top": "12"}]
    ordered, same = pair.answers(
        "fetch security.events | sort svc.mixed desc | fields event.id",
        now=NOW,
        default_from=NOW - timedelta(days=1),
    )
    assert ordered == same == [{"event.id": "e3"}, {"event.id": "e1"}, {"event.id": "e2"}]


def test_a_dynamic_array_compared_with_a_value_is_any_element(pair: Pair) -> None:
    assert column(pair, 'filter svc.list == "T2" | fieldsAdd x = svc.list') == [["T1", "T2"]]
    assert column(pair, 'filter svc.list == "not a list" | fieldsAdd x = svc.text') == [""]
    assert column(pair, 'filter in(svc.list, {"T3", "T9"}) | fieldsAdd x = svc.num') == ["7"]


def test_the_text_of_a_member(pair: Pair) -> None:
    assert column(pair, "fieldsAdd x = toString(svc.text)") == ["abc", None, ""]
    assert column(pair, 'fieldsAdd x = concat(svc.text, "-", svc.num)') == ["abc-1.5", "-7", "-"]


def test_the_size_of_a_dynamic_array_is_null_when_it_holds_none(pair: Pair) -> None:
    assert column(pair, "fieldsAdd x = arraySize(svc.list)") == ["2", "1", None]
    assert column(pair, "fieldsAdd x = svc.list[1]") == ["T2", None, None]
    holding = "filter isNotNull(arraySize(svc.list))"  # iterating no array: null on DuckDB, [] on ClickHouse
    assert column(pair, f"{holding} | fieldsAdd x = svc.list[]") == [["T1", "T2"], ["T3"]]
    assert column(pair, f'{holding} | fieldsAdd x = iAny(svc.list[] == "T3")') == [False, True]


def test_parsed_json_members_and_text_that_is_not_json(pair: Pair) -> None:
    parse = 'parse dt.raw_data, "JSON:raw"'
    assert column(pair, f"{parse} | fieldsAdd x = raw[id]") == ["r1", None, None]
    assert column(pair, f'{parse} | fieldsAdd x = raw["dotted.key"]') == ["3", None, None]
    assert column(pair, f'{parse} | fieldsAdd x = raw["quo\\"te"]') == ["q", None, None]
    assert column(pair, f"{parse} | fieldsAdd x = raw[nested][deep][x]") == [True, None, None]
    assert column(pair, f"{parse} | fieldsAdd x = raw[nil]") == [None, None, None]
    value = 'parse dt.raw_data, "JSON_VALUE:x"'
    assert column(pair, value) == [RAW_OBJECT | {"dotted.key": "3"}, None, ["1", "2"]]


def test_typed_json_arrays_convert_each_element(pair: Pair) -> None:
    typed = 'parse toString(actor.ips), "JSON_ARRAY{STRING}(typed=true):x"'
    assert column(pair, typed) == [["10.0.0.1", "10.0.0.2"], [], ["10.0.0.3"]]
    numbers = 'filter event.id == "e3" | parse dt.raw_data, "JSON_ARRAY{DOUBLE}(typed=true):x"'
    assert column(pair, numbers) == [[1.0, 2.0]]


def test_flattened_members_reach_two_levels(pair: Pair) -> None:
    flat = 'parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, depth:2, prefix:"f."'
    assert column(pair, flat, "`f.dotted.key`") == ["3", None, None]
    assert column(pair, flat, "`f.nested.deep`") == [{"x": True}, None, None]
    assert column(pair, flat, '`f.quo"te`') == ["q", None, None]
    assert column(pair, flat, "svc.text") == ["abc", None, ""]  # the other fields stay
    assert column(pair, flat, "svc.num") == [1.5, "7", None]  # also where there is nothing to flatten


def test_records_keep_names_that_are_not_identifiers(pair: Pair) -> None:
    built = 'record(`a.b` = event.id, `c "d"` = 1, `e\\f` = svc.num, `it\'s` = actor.ips)'
    assert column(pair, f"fieldsAdd x = {built}")[0] == {
        "a.b": "e1",
        'c "d"': "1",
        "e\\f": 1.5,
        "it's": ["10.0.0.1", "10.0.0.2"],
    }
    assert column(pair, f"fieldsAdd x = {built}[`a.b`]") == ["e1", "e2", "e3"]
    assert column(pair, f"fieldsAdd x = {built}[`e\\f`]") == [1.5, "7", None]
    odd = "record(`new\nline.x` = 1, `'); DROP TABLE events; --` = event.id, `tab\t` = 2)"
    assert column(pair, f"fieldsAdd x = {odd}")[0] == {
        "new\nline.x": "1",
        "'); DROP TABLE events; --": "e1",
        "tab\t": "2",
    }


def test_text_of_arrays_and_records_is_json(pair: Pair) -> None:
    assert column(pair, "fieldsAdd x = toString(actor.ips)") == [
        '["10.0.0.1","10.0.0.2"]',
        "[]",
        '["10.0.0.3"]',
    ]
    assert column(pair, "fieldsAdd x = toString(record(a = event.id))") == [
        '{"a":"e1"}',
        '{"a":"e2"}',
        '{"a":"e3"}',
    ]


def test_text_of_a_record_with_dynamic_members_embeds_their_json(pair: Pair) -> None:
    texts = column(pair, 'fieldsAdd x = toString(record(a = svc.num, `b.c` = svc.obj, s = "s"))')
    assert texts == [
        '{"a":1.5,"b.c":{"a":{"b":2}},"s":"s"}',
        '{"a":7,"b.c":null,"s":"s"}',
        '{"a":null,"b.c":null,"s":"s"}',
    ]


def test_elements_out_of_range_are_null(pair: Pair) -> None:
    assert column(pair, "fieldsAdd x = arrayFirst(actor.ips)") == ["10.0.0.1", None, "10.0.0.3"]
    assert column(pair, "fieldsAdd x = arrayLast(actor.ips)") == ["10.0.0.2", None, "10.0.0.3"]
    assert column(pair, "fieldsAdd x = actor.ips[1]") == ["10.0.0.2", None, None]
    assert column(pair, "fieldsAdd x = actor.ips[-2]") == ["10.0.0.1", None, None]


def test_concat_skips_null_parts(pair: Pair) -> None:
    assert column(pair, 'fieldsAdd x = concat(svc.missing, "x", svc.missing)') == ["x", "x", "x"]
    assert column(pair, "fieldsAdd x = concat(svc.missing)") == ["", "", ""]
