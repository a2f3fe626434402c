"""Compiled queries kept by text: compile a DQL text once, re-bind its time values on every later use.

Dashboards, list pages and polling clients send the same few texts again and again, each time with a new
``now``. The compiler binds every value, the timeframe's too, so the SQL text of one query does not change
with ``now``: only the parameters that are times relative to it move. A ``CompileCache`` keeps, per

    (text, dialect, max_records, the default timeframe as offsets from ``now``, the store's buckets)

the query compiled at some ``now₀`` and which of its parameters (and timeframe bounds) move with ``now``; a
later compile at ``now`` returns the same SQL with those parameters shifted by ``now - now₀``.

Which values move is not guessed: on a miss the query is compiled a second time, at ``now₀ + PROBE`` (an
irregular 400-odd days later), and kept only when both give the same SQL, columns and notifications, and each
parameter is either equal in both or later by exactly ``PROBE``. Values aligned to the clock (the bins of
``makeTimeseries`` over a relative timeframe, whose count and edges depend on where ``now`` falls in a bin)
fail that test, so such a query is compiled afresh each time (the verdict is cached, not the query).

The store's schema the compiler sees is its bucket names (they decide a query's notifications), part of
the key, so a new bucket gives a new entry. The field catalogue is fixed when the compiler is imported (a
new catalogue field is a new release, a new process, an empty cache) and a field outside it is read from
the ``extra`` JSON by its name, whatever the events hold, so new fields in the data need no new SQL.

Bounded: at most ``size`` entries, least recently used dropped first; ``size`` 0 compiles every time.
Thread-safe (queries compile on worker threads). Pure: the caller passes ``now``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Collection, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from threatlake.errors import QueryError
from threatlake.query.compiler import DEFAULT_TIMEFRAME, CompiledQuery, compile_query

__all__ = ["PROBE", "CacheStats", "CompileCache"]

#: How much later the probe compile's ``now`` is: irregular in every unit (days, hours, minutes, seconds,
#: microseconds), so that no value aligned to a calendar unit or a bin moves by exactly this much.
PROBE = timedelta(days=401, hours=5, minutes=7, seconds=11, microseconds=130_001)


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int
    uncacheable: int  # compiles of a query whose values do not simply move with ``now``
    entries: int


@dataclass(frozen=True, slots=True)
class _Entry:
    compiled: CompiledQuery | None  # None: the query cannot be re-bound; compile it every time
    now: datetime = datetime.min
    moving: tuple[bool, ...] = ()  # per parameter: moves with ``now``
    timeframe_moving: tuple[bool, bool] = (False, False)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _moves(first: object, second: object) -> bool | None:
    """True when ``second`` is ``first`` moved by ``PROBE``, False when they are equal, None otherwise."""
    if type(first) is not type(second):
        return None
    if isinstance(first, datetime) and isinstance(second, datetime) and second - first == PROBE:
        return True
    return False if first == second else None


def _entry(first: CompiledQuery, second: CompiledQuery, now: datetime) -> _Entry:
    """The cache entry of a query compiled at ``now`` (``first``) and at ``now + PROBE`` (``second``)."""
    same = (
        first.sql == second.sql
        and first.columns == second.columns
        and first.types == second.types
        and first.notifications == second.notifications
        and len(first.params) == len(second.params)
    )
    if not same:
        return _Entry(None)
    moving = [_moves(a, b) for a, b in zip(first.params, second.params, strict=True)]
    bounds = [_moves(a, b) for a, b in zip(first.timeframe, second.timeframe, strict=True)]
    if None in moving or None in bounds:
        return _Entry(None)
    return _Entry(first, now, tuple(m is True for m in moving), (bounds[0] is True, bounds[1] is True))


def _rebound(entry: _Entry, now: datetime) -> CompiledQuery:
    compiled = entry.compiled
    assert compiled is not None
    shift = now - entry.now
    if not shift:
        return compiled
    params = tuple(
        value + shift if moving and isinstance(value, datetime) else value
        for value, moving in zip(compiled.params, entry.moving, strict=True)
    )
    start, end = (
        bound + shift if moving else bound
        for bound, moving in zip(compiled.timeframe, entry.timeframe_moving, strict=True)
    )
    return dataclasses.replace(compiled, params=params, timeframe=(start, end))


class CompileCache:
    """``compile_query`` with the compiled queries of recent texts kept (see the module doc)."""

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = self._misses = self._uncacheable = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, self._uncacheable, len(self._entries))

    def compile(
        self,
        text: str,
        *,
        dialect: str = "duckdb",
        now: datetime,
        default_from: datetime | None = None,
        default_to: datetime | None = None,
        max_records: int = 1000,
        buckets: Collection[str] | None = None,
    ) -> CompiledQuery:
        """What ``compile_query`` gives for the same arguments (``QueryError`` likewise)."""
        now = _utc(now)
        end = _utc(default_to) if default_to is not None else now
        start = _utc(default_from) if default_from is not None else end - DEFAULT_TIMEFRAME

        def run(shift: timedelta = timedelta(0)) -> CompiledQuery:
            return compile_query(
                text,
                dialect=dialect,
                now=now + shift,
                default_from=start + shift,
                default_to=end + shift,
                max_records=max_records,
                buckets=buckets,
            )

        if not self.size:
            return run()
        known = tuple(sorted(buckets)) if buckets is not None else None
        key = (text, dialect, max_records, start - now, end - now, known)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                if entry.compiled is not None:
                    self._hits += 1
                    return _rebound(entry, now)
                self._uncacheable += 1
        if entry is not None:  # known not to re-bind
            return run()
        compiled = run()
        try:
            found = _entry(compiled, run(PROBE), now)
        except QueryError:  # valid at ``now`` only (an absolute start after a relative end): not kept
            found = _Entry(None)
        with self._lock:
            self._misses += 1
            self._entries[key] = found
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return compiled
