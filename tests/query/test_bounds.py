"""Hostile queries (issue 9): every constant is bounded at compile time with a positioned error, no compiler
step does unbounded work, overflow is null, and no internal detail or generated SQL reaches the message."""

# ruff: noqa: E501  (DQL queries and expected messages read best on one line)
from __future__ import annotations

import time
from datetime import datetime

import pytest

from threatlake.errors import QueryError
from threatlake.query import compile_query
from threatlake.query.expressions import UNEXPECTED
from threatlake.query.parser import MAX_DEPTH

from .conftest import Run

NOW = datetime(2026, 1, 1, 12)
F = "fetch security.events"

# fmt: off
REFUSED = [
    (F + " | fieldsAdd x = round(1.5, decimals:1000000000) | limit 1", "decimals must be between -20 and 20", 1, 50),
    (F + " | fieldsAdd x = round(1.5, decimals:400)", "decimals must be between -20 and 20", 1, 50),
    (F + " | fieldsAdd x = round(1.5, decimals:-400)", "decimals must be between -20 and 20", 1, 50),
    (F + " | fields x = timestamp + 100000000d", "Duration '100000000d' is out of range (at most 106751d)", 1, 48),
    (F + " | fields x = substring(event.id, from:-9999999999, to:3)", "from must be between -2147483647 and 2147483647", 1, 56),
    (F + " | fields x = substring(event.id, from:0, to:99999999999)", "to must be between -2147483647 and 2147483647", 1, 64),
    (F + " | fields x = actor.ips[9223372036854775807]", "An array index must be between -2147483647 and 2147483647", 1, 46),
    (F + " | fields x = actor.ips[9223372036854775808]", "Number '9223372036854775808' is out of range for a long (at most 9223372036854775807)", 1, 46),
    (F + ", from:-1000000d", "Duration '1000000d' is out of range (at most 106751d)", 1, 30),
    (F + ', from:"0001-01-01T00:00:00Z" - 1d', "The time '\"0001-01-01T00:00:00Z\" - 1d' is out of range (years 1 to 9999)", 1, 52),
    (F + " | fields x = 1 + 1e400", "Number '1e400' is out of range for a double", 1, 40),
    (F + " | fields x = 1 + " + "9" * 500, "Number literal too long (500 digits)", 1, 40),
    (F + " | fields x = 1 /* never closed", "Unterminated comment: '/*' has no closing '*/'", 1, 38),
]
# fmt: on


@pytest.mark.parametrize(("dql", "reason", "line", "column"), REFUSED)
def test_out_of_range_constants_are_positioned_errors(dql: str, reason: str, line: int, column: int) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryError) as info:
        compile_query(dql, now=NOW)
    error = info.value
    assert (error.reason, error.line, error.column) == (reason, line, column)
    assert "SELECT" not in str(error) and "$1" not in str(error)
    assert time.perf_counter() - started < 5  # generous: a hang (the old 10**digits) takes minutes


@pytest.mark.parametrize(
    ("dql", "line", "column"),
    [
        # at the first token past the limit (not at line 1, column 1)
        (F + " | filter " + "(" * 500 + "true" + ")" * 500, 1, 32 + MAX_DEPTH + 1),
        (F + " | filter " + "not " * 500 + "true", 1, 32 + 4 * (MAX_DEPTH + 1)),
        (F + " | fields x = " + " + ".join(["1"] * 500), 1, 38 + 4 * MAX_DEPTH),
        (F + " | fields x = " + "abs(" * 500 + "1" + ")" * 500, 1, 36 + 4 * (MAX_DEPTH + 1)),
    ],
)
def test_too_deep_reports_where(dql: str, line: int, column: int) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(dql, now=NOW)
    assert info.value.reason == f"Query nested too deeply (at most {MAX_DEPTH} levels)"
    assert (info.value.line, info.value.column) == (line, column)


def test_long_or_chains_compile(run: Run) -> None:
    """A filter over many values (a thousand IPs) is not "nested": and/or chains compile flat."""
    ids = " or ".join(f'event.id == "e{i:02d}"' for i in range(1000))
    records = run(f"{F} | filter {ids} | fields event.id | sort event.id | limit 2")
    assert records == [{"event.id": "e00"}, {"event.id": "e01"}]


def test_overflow_is_null(run: Run) -> None:
    (record,) = run(
        F
        + ' | fields a = 1e308 * 10, b = duration(1e300, unit:"s"), c = 0.0 / 0, d = round(2.25, decimals:1)'
        " | limit 1"
    )
    assert record == {"a": None, "b": None, "c": None, "d": 2.3}
    (longs,) = run(
        F
        + " | fields a = 9223372036854775807 + 1, b = -9223372036854775807 - 2, c = abs(-9223372036854775807 - 1),"
        ' d = duration(9223372036854775807, unit:"d"), e = (timestamp + 106751d) - timestamp, f = 2 * 3 | limit 1'
    )
    assert longs == {"a": None, "b": None, "c": None, "d": None, "e": None, "f": "6"}


def test_zero_alignment_is_null(run: Run) -> None:
    (record,) = run(
        F + " | fields a = bin(timestamp, 0s), b = timestamp @ 0s, c = bin(finding.count, 0) | limit 1"
    )
    assert record == {"a": None, "b": None, "c": None}


def test_computed_offsets_are_clamped_not_engine_errors(run: Run) -> None:
    records = run(
        F
        + " | filter finding.count > 0 | sort event.id | fields x = substring(event.id, from:finding.count * -2147483648),"
        " y = actor.ips[finding.count * 4611686018427387903] | limit 2"
    )
    assert records == [{"x": "e01", "y": None}, {"x": "e02", "y": None}]


def test_unexpected_failure_is_positioned_and_keeps_detail_for_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    from threatlake.query.functions import FUNCTIONS, Spec

    def broken(*args: object) -> object:
        raise ZeroDivisionError("secret detail")

    monkeypatch.setitem(FUNCTIONS, "lower", Spec(1, 1, broken))  # type: ignore[arg-type]
    with pytest.raises(QueryError) as info:
        compile_query(F + " | fields x = lower(event.id)", now=NOW)
    error = info.value
    assert (error.reason, error.line, error.column) == (UNEXPECTED, 1, 36)
    assert "secret" not in str(error) and isinstance(error.__cause__, ZeroDivisionError)
