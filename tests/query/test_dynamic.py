"""Dynamic typing (issue 10, class 1): a field no catalogue column holds (the ``extra`` JSON, or a field no
event has) has no type until run time; a value of the wrong type gives null, never a compile error; an
array compared with a single value is true when any element is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import duckdb
import pytest

from threatlake.query import compile_query, to_result

from .conftest import EVENTS, NOW, create_store

F = "fetch security.events"


def _events() -> list[dict[str, Any]]:
    events = [dict(e) for e in EVENTS[:6]]
    shapes: list[dict[str, Any]] = [
        {"mitre.techniques": ["T1046", "T1595"], "score.extra": 9.5},
        {"mitre.techniques": ["T1110"], "score.extra": 3},
        {"mitre.techniques": "not an array", "score.extra": "high"},
        {"score.extra": 12},
        {},
        {"mitre.techniques": []},
    ]
    for event, extra in zip(events, shapes, strict=True):
        event["extra"] = extra
    return events


@pytest.fixture(scope="module")
def dyn() -> Iterator[duckdb.DuckDBPyConnection]:
    con = create_store(_events())
    yield con
    con.close()


def _run(con: duckdb.DuckDBPyConnection, text: str) -> list[dict[str, Any]]:
    compiled = compile_query(text, now=NOW, default_from=NOW - timedelta(days=1))
    table = con.sql(compiled.sql, params=list(compiled.params)).to_arrow_table()
    return list(to_result(compiled, table)["records"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # aggregates over a field no event has: null, and arithmetic/comparison on it stay null
        (F + " | summarize x = round(takeMax(no.such.field), decimals:1)", [{"x": None}]),
        (F + " | summarize x = max(no.such.field) + 1", [{"x": None}]),
        (F + " | summarize x = takeMax(no.such.field) >= 9", [{"x": None}]),
        # over a JSON field of mixed types: numbers compare as numbers and win over text
        (F + " | summarize x = max(score.extra), y = min(score.extra)", [{"x": "12", "y": "3"}]),
        (F + " | summarize x = takeMax(score.extra) >= 9, y = round(takeMax(score.extra) / 5, decimals:1)",
         [{"x": True, "y": 2.4}]),
    ],
)  # fmt: skip
def test_dynamic_aggregates(
    dyn: duckdb.DuckDBPyConnection, query: str, expected: list[dict[str, Any]]
) -> None:
    assert _run(dyn, query) == expected


def test_array_functions_on_json_are_null_when_not_an_array(dyn: duckdb.DuckDBPyConnection) -> None:
    records = _run(dyn, F + " | sort event.id | fields event.id, n = arraySize(mitre.techniques)")
    assert [r.get("n") for r in records] == ["2", "1", None, None, None, "0"]


def test_array_compared_with_a_value_is_any_element(dyn: duckdb.DuckDBPyConnection) -> None:
    ips = _run(dyn, F + ' | filter actor.ips == "198.51.100.3" | fields event.id')
    assert ips == [{"event.id": "e03"}]
    listed = _run(
        dyn, F + ' | filter in(actor.ips, {"10.0.0.0", "198.51.100.3"}) | sort event.id | fields event.id'
    )
    assert listed == [{"event.id": "e00"}, {"event.id": "e03"}]
    none_equal = _run(dyn, F + ' | filter actor.ips != "10.0.0.0" | sort event.id | fields event.id')
    assert [r["event.id"] for r in none_equal] == ["e01", "e03", "e04"]  # e02, e05: null arrays stay null
    techniques = _run(dyn, F + ' | filter mitre.techniques == "T1110" or iAny(mitre.techniques[] == "T1046")'
                      " | sort event.id | fields event.id")  # fmt: skip
    assert techniques == [{"event.id": "e00"}, {"event.id": "e01"}]


def test_statically_wrong_types_still_fail_at_compile_time() -> None:
    from threatlake.errors import QueryError

    with pytest.raises(QueryError, match="arraySize needs an array but found string"):
        compile_query(F + ' | fields n = arraySize("abc")', now=NOW)
    with pytest.raises(QueryError, match="Cannot apply '\\+' to string and long"):
        compile_query(F + ' | fields n = "a" + 1', now=NOW)


def test_dynamic_values_sort_numbers_as_numbers(dyn: duckdb.DuckDBPyConnection) -> None:
    records = _run(
        dyn, F + " | filter isNotNull(score.extra) | sort score.extra desc | fields event.id, score.extra"
    )
    assert [r["score.extra"] for r in records] == ["12", 9.5, "3", "high"]


def test_pipeline_expression_hints_at_double_equals() -> None:
    from threatlake.errors import QueryError
    from threatlake.query import EventExpressions

    with pytest.raises(QueryError) as info:
        EventExpressions().condition('event.type = "X"')
    assert (str(info.value), info.value.column) == (
        "Unexpected '=' at line 1, column 12; did you mean '=='? ('=' assigns a field, '==' compares)",
        12,
    )
