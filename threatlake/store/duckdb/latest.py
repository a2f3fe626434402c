"""``latest`` off the write: folded after the commit, at most ``lag`` seconds behind, never stale when read.

A write commits its new rows to ``events`` and returns; the rows wait in ``Pending`` (memory) and a
``Folder`` thread folds them into ``latest`` within ``lag`` seconds (or ``FOLD_SPACING`` times the last fold's
duration, when folds get slow), in one transaction for every write of that interval. A read that needs
``latest`` folds what is pending first, so it sees every committed event.

Crash safety: the first write after a fold sets a flag (``latest_state.folded = false``) in its own
transaction, and a fold sets it back once no committed write is left out of ``latest`` (a write committed
while the fold ran keeps it false). A store opened with the flag false (killed between a write and its
fold) recomputes ``latest`` from ``events`` before it serves anything.

``rewrite`` lets the latest-state idiom read ``latest``: a ``SELECT`` over ``events`` whose only filter is a
timeframe on ``timestamp`` and that keeps the newest row per part of the finding key (``QUALIFY
ROW_NUMBER() OVER (PARTITION BY <columns of LATEST_KEY> ORDER BY timestamp DESC[, event.id DESC]) = 1``,
the id breaking ties as ``latest`` does) gives the same rows over ``latest`` when the timeframe ends after
the newest stored ``timestamp``: the newest row of a coarser key is the newest of the newest rows of its
finer keys, and a timeframe that ends after every row only drops keys whose newest row starts before it.
Two keys need no window at all: the whole finding key (``latest`` holds one row per key) and ``finding.id``
alone, the lists' and dashboards' key, for which the fold keeps a flag in ``latest`` (``NEWEST``: the newest
of the finding's rows there, set again for every finding a fold touches), so ``dedup {finding.id}`` becomes
a filter on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from threatlake.store.duckdb.statements import NEWEST
from threatlake.store.idiom import bound_allows, conjuncts, newest_per_key_part
from threatlake.store.schema import EVENTS, LATEST, LATEST_KEY

__all__ = ["DEFAULT_LAG", "Folder", "Pending", "rewrite"]

log = logging.getLogger("threatlake.store")

#: Most seconds ``latest`` trails the last write, while folding is quick.
DEFAULT_LAG = 1.0
#: A fold costs a scan of ``latest``'s digests, growing with it: the next fold waits at least this many
#: times as long as the last one took, so folding takes at most a fifth of a core from the writes beside it.
FOLD_SPACING = 4.0

#: Text every candidate for ``rewrite`` holds (a cheap test before parsing).
_HINT = "ROW_NUMBER() OVER (PARTITION BY"


class Pending:
    """New rows committed to ``events`` and not yet folded into ``latest`` (guarded by the store's lock)."""

    def __init__(self, *, folded: bool) -> None:
        self.tables: list[pa.Table] = []
        self.folded = folded  # what ``latest_state.folded`` says
        self.since: float | None = None  # monotonic time of the oldest pending write
        self.folding = False  # set (under the store's lock) while a fold has taken the tables

    def add(self, table: pa.Table) -> None:
        if table.num_rows:
            self.tables.append(table)
            if self.since is None:
                self.since = time.monotonic()

    def take(self) -> list[pa.Table]:
        tables, self.tables, self.since = self.tables, [], None
        return tables

    def put_back(self, tables: list[pa.Table], since: float) -> None:
        self.tables[:0] = tables
        self.since = since

    def lag(self) -> float:
        """Seconds since the oldest write ``latest`` does not hold yet (0 when it holds them all)."""
        return 0.0 if self.since is None else time.monotonic() - self.since


class Folder:
    """A thread that calls ``fold`` ``lag`` seconds after ``poke`` (once for every poke in between), or
    ``FOLD_SPACING`` times the last fold's duration when that is longer."""

    def __init__(self, fold: Callable[[], None], lag: float = DEFAULT_LAG) -> None:
        self._fold = fold
        self._lag = lag
        self._spacing = lag
        self._due: float | None = None
        self._closing = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="threatlake-latest", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        with self._wake:
            if self._due is None:
                self._due = time.monotonic() + self._spacing
                self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closing and (self._due is None or self._due > time.monotonic()):
                    self._wake.wait(None if self._due is None else self._due - time.monotonic())
                if self._closing:
                    return
                self._due = None
            started = time.monotonic()
            try:
                self._fold()
            except Exception:  # the next poke retries; a read folds on its own
                log.exception("folding latest failed")
            self._spacing = max(self._lag, FOLD_SPACING * (time.monotonic() - started))


def rewrite(
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None,
    dialect: str,
    newest: Callable[[], datetime | None],
) -> str | None:
    """``sql`` reading ``latest`` where it reads ``events`` for the latest-state idiom, or None when it
    cannot (see the module doc). ``newest()`` gives the greatest ``timestamp`` in ``latest`` (None: empty);
    it is called, once, only for a statement holding the idiom."""
    if _HINT not in sql or EVENTS not in sql:
        return None
    rewritten, bounds = _parsed(sql, dialect)
    if rewritten is None:
        return None
    end = newest()
    return (
        rewritten
        if all(bound_allows(bound, lambda value: _bound(value, params), end) for bound in bounds)
        else None
    )


@lru_cache(maxsize=256)
def _parsed(sql: str, dialect: str) -> tuple[str | None, tuple[exp.Expr, ...]]:
    """``sql`` with every idiom reading ``latest``, and the timeframe conditions that must allow it.

    Parsed once per text: the compiler binds every value, so dashboards repeat the same few texts."""
    try:
        tree = sqlglot.parse_one(sql, dialect=dialect)
    except sqlglot.errors.ParseError:
        return None, ()
    tables = [table for select in tree.find_all(exp.Select) if (table := _idiom_source(select))]
    bounds: list[exp.Expr] = []
    for table in tables:
        select = table.parent_select
        bounds += conjuncts(select.args.get("where") if select is not None else None)
        table.set("this", exp.to_identifier(LATEST, quoted=True))
        if select is not None:
            _without_window(select)
    return (tree.sql(dialect=dialect) if tables else None), tuple(bounds)


def _without_window(select: exp.Select) -> None:
    """Drop the ranking where ``latest`` answers it as it stands: one row per whole finding key, and the
    ``NEWEST`` flag for ``finding.id`` alone."""
    qualify = select.args["qualify"]
    parts = {part.name for part in qualify.this.this.args["partition_by"]}
    if parts == set(LATEST_KEY):
        select.set("qualify", None)
    elif parts == {"finding.id"}:
        select.set("qualify", None)
        select.where(exp.column(NEWEST, quoted=True), copy=False)


def _idiom_source(select: exp.Select) -> exp.Table | None:
    """The ``events`` table of ``select`` when it keeps the newest row per part of the finding key and
    has no other clause that would see the rows ``latest`` does not hold (its timeframe is checked apart)."""
    source = select.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.name != EVENTS or table.args.get("db"):
        return None
    if any(select.args.get(part) for part in ("joins", "laterals", "group", "having", "distinct", "windows")):
        return None
    if any(item.find(exp.Window, exp.AggFunc, exp.Subquery) for item in select.expressions):
        return None
    return table if newest_per_key_part(select.args.get("qualify")) else None


def _bound(value: exp.Expr, params: Sequence[Any] | Mapping[str, Any] | None) -> datetime | None:
    """The naive UTC datetime a ``$n`` parameter (maybe cast to TIMESTAMP) is bound to, else None."""
    if isinstance(value, exp.Cast) and value.to.is_type(
        exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ
    ):
        value = value.this
    if not isinstance(value, exp.Placeholder) or not isinstance(params, Sequence):
        return None
    number = str(value.name)
    if not number.isdigit() or not 1 <= int(number) <= len(params):
        return None
    bound = params[int(number) - 1]
    if not isinstance(bound, datetime):
        return None
    return bound.astimezone(UTC).replace(tzinfo=None) if bound.tzinfo else bound
