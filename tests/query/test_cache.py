"""The compile cache gives exactly what a fresh compile gives, re-bound to each ``now``; bounded; keyed by
what the compiler reads of the store (its buckets)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.query.cases import COMMAND_CASES, FUNCTION_CASES, SYNTAX_CASES
from threatlake.errors import QueryError
from threatlake.query import CompiledQuery, compile_query
from threatlake.query.cache import CompileCache

NOW = datetime(2026, 12, 3, 8, 30, 12, 345_678, tzinfo=UTC)
DAY = timedelta(hours=24)
#: Later moments a cached query is asked for again: seconds, across an hour, a day, a month.
LATER = (timedelta(seconds=7.25), timedelta(minutes=41), timedelta(days=1, hours=3), timedelta(days=33))
CORPUS = {**COMMAND_CASES, **FUNCTION_CASES, **SYNTAX_CASES}
EXTRA_CASES = {
    "relative from": "fetch security.events, from:now()-3h | filter timestamp > now() - 1h | fields event.id",
    "absolute": 'fetch security.events, from:"2026-11-01T00:00:00Z", to:"2026-11-02T00:00:00Z" | limit 3',
    "absolute start, relative end": 'fetch security.events, from:"2026-11-01T00:00:00Z" | limit 3',
    "triage now": "fetch security.triage | fields finding.id, triage.status",
    "timeseries": "fetch security.events | makeTimeseries n = count(), interval:1h",
    "timeseries by bins": "fetch security.events, from:now()-7d | makeTimeseries n = count(), bins:50",
    "literal equal to now": f'fetch security.events | filter timestamp < toTimestamp("{NOW.isoformat()}")',
}


def _shape(compiled: CompiledQuery) -> tuple[object, ...]:
    return (
        compiled.sql,
        compiled.params,
        compiled.columns,
        compiled.types,
        compiled.timeframe,
        compiled.notifications,
        compiled.tables,
        compiled.hidden,
        compiled.extra_column,
        compiled.sparse,
    )


def _fresh(text: str, now: datetime, dialect: str = "duckdb", **options: object) -> CompiledQuery:
    return compile_query(text, now=now, default_from=now - DAY, default_to=now, dialect=dialect, **options)  # type: ignore[arg-type]


def _cached(cache: CompileCache, text: str, now: datetime, dialect: str = "duckdb") -> CompiledQuery:
    return cache.compile(text, now=now, default_from=now - DAY, default_to=now, dialect=dialect)


@pytest.mark.parametrize("dialect", ["duckdb", "clickhouse"])
def test_every_golden_case_compiles_the_same_cached_and_fresh(dialect: str) -> None:
    cache = CompileCache(1000)
    cases = {**CORPUS, **EXTRA_CASES}
    for name, text in cases.items():
        try:
            first = _fresh(text, NOW, dialect)
        except QueryError:
            with pytest.raises(QueryError):
                _cached(cache, text, NOW, dialect)
            continue
        assert _shape(_cached(cache, text, NOW, dialect)) == _shape(first), name
        for later in LATER:
            assert _shape(_cached(cache, text, NOW + later, dialect)) == _shape(
                _fresh(text, NOW + later, dialect)
            ), (name, later)
    stats = cache.stats()
    assert stats.hits > 3 * len(cases) // 2  # most texts re-bind


def test_a_relative_query_is_compiled_once_and_rebound() -> None:
    cache = CompileCache(8)
    text = EXTRA_CASES["relative from"]
    first = _cached(cache, text, NOW)
    again = _cached(cache, text, NOW + timedelta(minutes=5))
    assert again.sql == first.sql
    assert again.params != first.params  # the timeframe and now() moved
    assert again.timeframe == (NOW.replace(tzinfo=None) + timedelta(minutes=5) - timedelta(hours=3),
                               NOW.replace(tzinfo=None) + timedelta(minutes=5))  # fmt: skip
    assert cache.stats().hits == 1 and cache.stats().misses == 1


def test_a_timeseries_over_a_relative_timeframe_is_compiled_every_time() -> None:
    cache = CompileCache(8)
    text = EXTRA_CASES["timeseries"]
    for later in (timedelta(0), timedelta(minutes=17), timedelta(minutes=59)):
        assert _shape(_cached(cache, text, NOW + later)) == _shape(_fresh(text, NOW + later))
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.uncacheable, stats.entries) == (0, 1, 2, 1)


def test_a_new_bucket_gives_another_entry() -> None:
    cache = CompileCache(8)
    text = 'fetch security.events | filter dt.system.bucket == "team_bucket" | limit 1'

    def run(buckets: list[str]) -> CompiledQuery:
        return cache.compile(text, now=NOW, buckets=buckets)

    before = run(["default_securityevents"])
    assert before.notifications  # the bucket does not exist yet
    after = run(["default_securityevents", "team_bucket"])
    assert after.notifications == ()
    assert _shape(after) == _shape(
        compile_query(text, now=NOW, buckets=["default_securityevents", "team_bucket"])
    )
    assert cache.stats().misses == 2


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = CompileCache(2)
    texts = [f"fetch security.events | limit {n}" for n in (1, 2, 3)]
    cache.compile(texts[0], now=NOW)
    cache.compile(texts[1], now=NOW)
    cache.compile(texts[0], now=NOW)  # used again: the second is now the oldest
    cache.compile(texts[2], now=NOW)
    assert cache.stats().entries == 2
    cache.compile(texts[0], now=NOW)
    assert cache.stats().hits == 2
    cache.compile(texts[1], now=NOW)  # dropped: compiled again
    assert cache.stats().misses == 4


def test_size_zero_keeps_nothing() -> None:
    cache = CompileCache(0)
    text = "fetch security.events | limit 1"
    assert _shape(cache.compile(text, now=NOW)) == _shape(compile_query(text, now=NOW))
    assert cache.stats().entries == 0


def test_errors_are_the_compilers_and_are_not_kept() -> None:
    cache = CompileCache(8)
    with pytest.raises(QueryError) as error:
        cache.compile("fetch security.events | filter", now=NOW)
    with pytest.raises(QueryError) as fresh:
        compile_query("fetch security.events | filter", now=NOW)
    assert (error.value.line, error.value.column, error.value.reason) == (
        fresh.value.line,
        fresh.value.column,
        fresh.value.reason,
    )
    assert cache.stats().entries == 0
