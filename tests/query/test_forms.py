"""Syntax forms the platform's own queries use (issue 10, class 2), and the DQL functions dashboards need."""

# ruff: noqa: E501  (DQL queries and expected messages read best on one line)
from __future__ import annotations

from datetime import datetime

import pytest

from threatlake.errors import QueryError
from threatlake.query import compile_query

from .conftest import Run

F = "fetch security.events"
HINT = "did you mean '=='? ('=' assigns a field, '==' compares)"


def test_sort_record_spec(run: Run) -> None:
    records = run(
        F
        + ' | sort {dt.security.risk.score, direction:"descending"}, {event.id, direction:"ascending"} | fields event.id | limit 3'
    )
    assert records == run(F + " | sort dt.security.risk.score desc, event.id asc | fields event.id | limit 3")
    assert [r["event.id"] for r in records] == ["e00", "e05", "e10"]


def test_braced_field_lists(run: Run) -> None:
    braced = run(
        F
        + " | sort event.id | fieldsAdd {a = finding.count * 2, b = upper(event.id)} | fields {event.id, a, b} | limit 2"
    )
    assert braced == [{"event.id": "e00", "a": None, "b": "E00"}, {"event.id": "e01", "a": "2", "b": "E01"}]


def test_brace_array_as_argument(run: Run) -> None:
    (record,) = run(
        F
        + ' | filter event.id == "e03" | fields x = arrayConcat({"a", "b"}, actor.ips), n = arraySize({1, 2, 3})'
    )
    assert record == {"x": ["a", "b", "10.0.0.3", "198.51.100.3"], "n": "3"}


def test_alias_parameter(run: Run) -> None:
    assert run(F + " | summarize count(), alias:total") == [{"total": "30"}]
    rows = run(F + " | summarize count(), alias: cnt, by: {event.provider} | sort cnt desc")
    assert rows == [
        {"event.provider": "Amazon GuardDuty", "cnt": "20"},
        {"event.provider": "AWS Security Hub", "cnt": "10"},
    ]
    expanded = run(F + ' | filter event.id == "e03" | expand actor.ips, alias:ip | fields ip, actor.ips')
    assert expanded[0] == {"ip": "10.0.0.3", "actor.ips": ["10.0.0.3", "198.51.100.3"]}


def test_dashboard_functions(run: Run) -> None:
    (row,) = run(F + " | summarize m = median(dt.security.risk.score), n = median(finding.count)")
    assert row == {"m": 6.25, "n": 1.0}
    (one,) = run(
        F
        + ' | filter event.id == "e03" | fields a = toArray(event.id), b = toArray(actor.ips), c = toArray(finding.count)'
    )
    assert one == {"a": ["e03"], "b": ["10.0.0.3", "198.51.100.3"], "c": ["3"]}
    matched = run(F + ' | filter matchesValue(event.id, {"E01", "e2*"}) | sort event.id | fields event.id')
    assert [r["event.id"] for r in matched] == ["e01", *(f"e{i}" for i in range(20, 30))]


@pytest.mark.parametrize(
    ("dql", "message", "column"),
    [
        (
            F + ' | filter event.type = "X"',
            f"Expected a condition but found an assignment at line 1, column 43; {HINT}",
            43,
        ),
        (
            F + ' | filter event.id == "a" and event.type = "X"',
            f"Unexpected '=' at line 1, column 63; {HINT}",
            63,
        ),
        (
            F + ' | summarize countIf(event.type = "X")',
            f"Unexpected assignment in a call of countIf at line 1, column 54; {HINT}",
            54,
        ),
        (F + ' | filter (event.type = "X")', f"Unexpected '=' at line 1, column 44; {HINT}", 44),
        (
            F + ' | sort {event.id, direction:"down"}',
            'direction must be "ascending" or "descending", not \'down\' at line 1, column 41',
            41,
        ),
        (
            F + " | summarize alias:x",
            "alias: must follow the expression it names, like count(), alias:total at line 1, column 35",
            35,
        ),
    ],
)
def test_form_errors(dql: str, message: str, column: int) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(dql, now=datetime(2026, 1, 1))
    assert (str(info.value), info.value.column) == (message, column)


def test_make_timeseries_widens_an_interval_past_the_bin_limit(store: object) -> None:
    """The docs' example over ten years (87,600 hourly bins): the platform picks a wider interval."""
    from threatlake.query import to_result

    compiled = compile_query(
        "fetch security.events, from:-3650d | makeTimeseries count(default:0), interval:1h",
        now=datetime(2026, 1, 1, 12),
    )
    table = store.sql(compiled.sql, params=list(compiled.params)).to_arrow_table()  # type: ignore[attr-defined]
    result = to_result(compiled, table)
    (row,) = result["records"]
    assert row["interval"] == str(3 * 86_400 * 10**9) and len(row["count()"]) <= 1500
    assert sum(int(v) for v in row["count()"]) == 30
    (note,) = result["metadata"]["grail"]["notifications"]
    assert note["notificationType"] == "INTERVAL_ADJUSTED"
    assert note["message"] == "The interval 1h would give 87600 bins; 3d is used instead (at most 1500 bins)."
