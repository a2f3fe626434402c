"""Dense one-line golden assertions: DQL → (SQL, params), through one helper."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from threatlake.query import compile_query

NOW = datetime(2026, 1, 1, 12)
T0, T1 = "2026-01-01 10:00:00", "2026-01-01 12:00:00"
WHERE = 'FROM events WHERE "timestamp" >= CAST($1 AS TIMESTAMP) AND "timestamp" < CAST($2 AS TIMESTAMP)'
WHERE_23 = WHERE.replace("$2", "$3").replace("$1", "$2")


def check(dql: str, sql: str, params: list[object]) -> None:
    query = compile_query(dql, now=NOW)
    assert (query.sql, [str(p) if isinstance(p, datetime) else p for p in query.params]) == (sql, params)


# fmt: off
CASES = [
    ('fetch events | filter event.type == "X" | fields event.id',
     f'SELECT "event.id" {WHERE} AND "event.type" = $3 LIMIT $4', [T0, T1, "X", 1001]),
    ("fetch events | filterOut finding.count > 1 | fields event.id",
     f'SELECT "event.id" {WHERE} AND NOT COALESCE(("finding.count" > CAST($3 AS BIGINT)), FALSE) LIMIT $4',
     [T0, T1, 1, 1001]),
    ("fetch events | fields n = finding.count / 2",
     f'SELECT "finding.count" // NULLIF(CAST($1 AS BIGINT), 0) AS "n" {WHERE_23} LIMIT $4',
     [2, T0, T1, 1001]),
    ("fetch events | fields r = round(dt.security.risk.score)",
     f'SELECT FLOOR("dt.security.risk.score" + 0.5) AS "r" {WHERE} LIMIT $3', [T0, T1, 1001]),
    ("fetch events | fields event.id | limit 3",
     f'SELECT "event.id" {WHERE} ORDER BY "timestamp" DESC, "event.id" DESC LIMIT $3', [T0, T1, 3]),
    ("fetch events | fields t = now(), u = now()",
     'SELECT CAST($1 AS TIMESTAMP) AS "t", CAST($1 AS TIMESTAMP) AS "u" FROM events WHERE "timestamp" >= '
     'CAST($2 AS TIMESTAMP) AND "timestamp" < CAST($1 AS TIMESTAMP) LIMIT $3', [T1, T0, 1001]),
    ("fetch events | sort timestamp desc | fields event.id",
     f'SELECT "event.id" {WHERE} ORDER BY "timestamp" DESC, "event.id" DESC LIMIT $3', [T0, T1, 1001]),
    ("fetch events | summarize c = count(), by:{event.provider}",
     f'SELECT "event.provider", COUNT(*) AS "c" {WHERE} GROUP BY "event.provider" LIMIT $3', [T0, T1, 1001]),
    ("fetch events | fields event.id | dedup event.id",
     f'SELECT "event.id" {WHERE} QUALIFY ROW_NUMBER() OVER (PARTITION BY "event.id" ORDER BY "timestamp"'
     ' DESC, "event.id" DESC) = 1 LIMIT $3',
     [T0, T1, 1001]),
    ("fetch events | fields x = service.count",
     f'SELECT "extra" -> $1 AS "x" {WHERE_23} LIMIT $4', ['$."service.count"', T0, T1, 1001]),
]
# fmt: on


@pytest.mark.parametrize(("dql", "sql", "params"), CASES)
def test_compile(dql: str, sql: str, params: list[object]) -> None:
    check(dql, sql, params)


def test_compiled_query_metadata() -> None:
    q = compile_query("fetch events | fields event.id, n = finding.count", now=NOW, max_records=10)
    assert q.columns == ("event.id", "n") and q.column_types == {"event.id": "string", "n": "long"}
    assert q.timeframe == (NOW - timedelta(hours=2), NOW) and q.params[-1] == 11
    assert q.canonical == "fetch events\n| fields event.id, n = finding.count"


def test_default_timeframe_from_request() -> None:
    start, end = datetime(2025, 1, 1), datetime(2025, 1, 2)
    assert compile_query("fetch events", now=NOW, default_from=start, default_to=end).timeframe == (
        start,
        end,
    )


def test_dialect_is_a_parameter() -> None:
    assert (
        compile_query("fetch events | fields event.id", now=NOW, dialect="clickhouse").dialect == "clickhouse"
    )


def test_literals_are_never_spliced() -> None:
    q = compile_query('fetch events | filter event.id == "x\'; DROP TABLE events; --"', now=NOW)
    assert "DROP" not in q.sql and "x'; DROP TABLE events; --" in q.params
