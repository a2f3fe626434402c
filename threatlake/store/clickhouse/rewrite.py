"""The latest-state idiom compiled for ClickHouse reads ``latest`` (``latest.py``) instead of ``events``.

The rule is DuckDB's (``store/duckdb/latest.py``): a ``SELECT`` over ``events`` whose only filter is a
timeframe on ``timestamp`` and that keeps the newest row per part of the finding key (``QUALIFY
ROW_NUMBER() OVER (PARTITION BY <columns of LATEST_KEY> ORDER BY timestamp DESC[, event.id DESC]) = 1``)
gives the same rows over ``latest`` when the timeframe ends after the newest stored ``timestamp``: the newest
row of a coarser key is the newest of the newest rows of its finer keys, and a timeframe that ends after
every row only drops keys whose newest row starts before it. Here the bounds are ClickHouse's named, typed
placeholders (``CAST({p2: DateTime64(6)} AS DateTime64(6))``), bound by name (``p2``: the second value).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from threatlake.model.fields import ABSENT_ARRAYS
from threatlake.store.idiom import bound_allows, conjuncts, newest_per_key_part
from threatlake.store.schema import COLUMNS, EVENTS, LATEST

__all__ = ["Rewritten", "rewrite"]

_DIALECT = "clickhouse"
#: Text every candidate holds (a cheap test before parsing).
_HINT = "ROW_NUMBER() OVER (PARTITION BY"
_CLAUSES = ("joins", "laterals", "group", "having", "distinct", "windows", "prewhere", "settings")
Bound = Sequence[Any] | Mapping[str, Any] | None
#: The columns ``latest`` shows (``latest.py``): an idiom reading any other column of ``events`` (one a later
#: migration added) keeps reading ``events``.
SHOWN = frozenset({col.name for col in COLUMNS} | {ABSENT_ARRAYS})


@dataclass(frozen=True, slots=True)
class Rewritten:
    """The statement reading ``latest``; ``only_latest``: it reads no other table (``latest`` is exact by
    itself, so such a statement needs no ``final`` setting)."""

    sql: str
    only_latest: bool


def rewrite(sql: str, params: Bound, newest: Callable[[], datetime | None]) -> Rewritten | None:
    """``sql`` reading ``latest`` where it reads ``events`` for the latest-state idiom, or None when it
    cannot. ``newest()`` gives the greatest stored ``timestamp`` (None: no event); it is called, once, only
    for a statement holding the idiom."""
    if _HINT not in sql or EVENTS not in sql:
        return None
    rewritten, bounds = _parsed(sql)
    if rewritten is None:
        return None
    end = newest()
    return (
        rewritten
        if all(bound_allows(bound, lambda value: _bound(value, params), end) for bound in bounds)
        else None
    )


@lru_cache(maxsize=256)
def _parsed(sql: str) -> tuple[Rewritten | None, tuple[exp.Expr, ...]]:
    """``sql`` with every idiom reading ``latest``, and the timeframe conditions that must allow it
    (parsed once per text: the compiler binds every value, so dashboards repeat the same few texts)."""
    try:
        tree = sqlglot.parse_one(sql, dialect=_DIALECT)
    except sqlglot.errors.ParseError:
        return None, ()
    tables = [table for select in tree.find_all(exp.Select) if (table := _idiom_source(select))]
    bounds: list[exp.Expr] = []
    for table in tables:
        select = table.parent_select
        bounds += conjuncts(select.args.get("where") if select is not None else None)
        table.set("this", exp.to_identifier(LATEST, quoted=True))
    if not tables:
        return None, ()
    only = all(table.name == LATEST and not table.args.get("db") for table in tree.find_all(exp.Table))
    return Rewritten(tree.sql(dialect=_DIALECT), only), tuple(bounds)


def _idiom_source(select: exp.Select) -> exp.Table | None:
    """The ``events`` table of ``select`` when it keeps the newest row per part of the finding key and
    has no other clause that would see the rows ``latest`` does not hold (its timeframe is checked apart)."""
    source = select.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.name != EVENTS or table.args.get("db"):
        return None
    if table.args.get("final") or any(select.args.get(part) for part in _CLAUSES):
        return None
    if any(item.find(exp.Window, exp.AggFunc, exp.Subquery) for item in select.expressions):
        return None
    if any(column.name not in SHOWN for column in select.find_all(exp.Column)):
        return None
    return table if newest_per_key_part(select.args.get("qualify")) else None


def _bound(value: exp.Expr, params: Bound) -> datetime | None:
    """The naive UTC datetime a ``{pN: DateTime64(6)}`` placeholder (maybe cast) is bound to, else None."""
    if isinstance(value, exp.Cast) and value.to.is_type(exp.DataType.Type.DATETIME64):
        value = value.this
    if not isinstance(value, exp.Placeholder) or params is None:
        return None
    name = str(value.name)
    if isinstance(params, Mapping):
        bound = params.get(name)
    else:
        number = name.removeprefix("p")
        if not number.isdigit() or not 1 <= int(number) <= len(params):
            return None
        bound = params[int(number) - 1]
    if not isinstance(bound, datetime):
        return None
    return bound.astimezone(UTC).replace(tzinfo=None) if bound.tzinfo else bound
