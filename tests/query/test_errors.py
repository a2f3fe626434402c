"""Errors name the problem, the line and column, and the offending text; nothing but QueryError escapes."""

# ruff: noqa: E501  (DQL queries and expected messages read best on one line)
from __future__ import annotations

import contextlib
from datetime import datetime

import pytest

from threatlake.errors import QueryError
from threatlake.query import compile_query, verify

NOW = datetime(2026, 1, 1, 12)

# fmt: off
CASES = [
    ("fetch security.events\n| filtr x == 1", "Unknown command 'filtr' at line 2, column 3; did you mean 'filter'?", 2, 3, "filtr"),
    ("fetch events | fields x = lowr(event.id)", "Unknown function 'lowr' at line 1, column 27; did you mean 'lower'?", 1, 27, "lowr"),
    ("fetch events | filter (a == 1", "Unbalanced '(': missing ')' at line 1, column 23", 1, 23, "("),
    ("fetch events | filter a == 1)", "Expected '|' or end of query but found ')' at line 1, column 29", 1, 29, ")"),
    ("fetch events | fields x = array(1, 2", "Unbalanced '(': missing ')' at line 1, column 32", 1, 32, "("),
    ('fetch events | filter a == "abc', "Unterminated string at line 1, column 28", 1, 28, '"abc'),
    ("fetch events | limit 1.5", "Expected a long literal but found '1.5' at line 1, column 22", 1, 22, "1.5"),
    ("fetch events | filter a == 1x", "Unexpected character '1' at line 1, column 28", 1, 28, "1"),
    ("fetch events | filter a == #", "Unexpected character '#' at line 1, column 28", 1, 28, "#"),
    ("fetch events | dedup a, srot:{timestamp}", "Unknown parameter 'srot' for dedup at line 1, column 25; did you mean 'sort'?", 1, 25, "srot"),
    ("fetch events | fields x = lower()", "Function 'lower' takes 1 argument(s), got 0 at line 1, column 27", 1, 27, "lower"),
    ("fetch events | filter count() > 1", "Aggregation 'count' is only allowed in summarize and makeTimeseries at line 1, column 23", 1, 23, "count"),
    ("fetch events | fields x = \"a\" + 1", "Cannot apply '+' to string and long at line 1, column 31", 1, 31, "+"),
    ("filter a == 1", "A query must start with fetch, not 'filter' at line 1, column 1", 1, 1, "filter"),
    ("fetch logs", "Threatlake does not serve 'logs': it holds security events only (it serves dt.system.buckets, events, security.events, security.triage) at line 1, column 7", 1, 7, "logs"),
    ("fetch nope", "Unknown data object 'nope'; try security.events (Threatlake serves dt.system.buckets, events, security.events, security.triage) at line 1, column 7", 1, 7, "nope"),
    ("", "Expected a command but found 'end of query' at line 1, column 1", 1, 1, ""),
    ("fetch events |", "Expected a command but found 'end of query' at line 1, column 15", 1, 15, ""),
    ('fetch events, from:"yesterday"', "Invalid timestamp 'yesterday' at line 1, column 20", 1, 20, '"yesterday"'),
    ("fetch events | summarize x = count(), by:{event.type} | fields event.id",
     "Field 'event.id' was removed by an earlier command at line 1, column 64; did you mean 'event.type'?", 1, 64,
     "event.id"),
    ("fetch events | fields event.id | fields nope", "Unknown field 'nope' at line 1, column 41", 1, 41, "nope"),
    ("fetch events | filter iAny(a == 1)", "iAny needs an expression over array elements, like arr[] == 1 at line 1, "
     "column 23", 1, 23, "iAny"),
]
# fmt: on


@pytest.mark.parametrize(("dql", "message", "line", "column", "text"), CASES)
def test_error(dql: str, message: str, line: int, column: int, text: str) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(dql, now=NOW)
    error = info.value
    assert (str(error), error.line, error.column, error.text) == (message, line, column, text)


def test_verify_returns_positioned_errors() -> None:
    assert verify("fetch security.events | limit 3") == []
    (error,) = verify("fetch security.events\n  | sort x\n  | summarise count()")
    assert (error.line, error.column) == (3, 5) and "did you mean 'summarize'" in str(error)


def test_deep_nesting_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        compile_query("fetch events | filter " + "(" * 5000 + "a" + ")" * 5000, now=NOW)
    with contextlib.suppress(QueryError):
        compile_query("fetch events | filter " + "not " * 5000 + "true", now=NOW)
