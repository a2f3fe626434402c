"""The latest-state idiom as both stores recognise it in compiled SQL (``duckdb/latest.py``,
``clickhouse/rewrite.py``): the newest row per part of the finding key, and the timeframe bounds that let
``latest`` answer it. What differs per store (placeholders, table names, what ``latest`` shows) stays there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlglot import exp

from threatlake.store.schema import LATEST_KEY

__all__ = ["TIME", "bound_allows", "conjuncts", "newest_per_key_part"]

#: The column the idiom orders by (and the timeframe bounds).
TIME = "timestamp"


def newest_per_key_part(qualify: exp.Expr | None) -> bool:
    """``QUALIFY ROW_NUMBER() OVER (PARTITION BY <key columns> ORDER BY timestamp DESC[, event.id
    DESC]) = 1``: ties go to the greater id, as ``latest`` keeps them (the fetch order)."""
    rank = qualify.this if qualify is not None else None
    if not isinstance(rank, exp.EQ) or rank.expression != exp.Literal.number(1):
        return False
    window = rank.this
    if not isinstance(window, exp.Window) or not isinstance(window.this, exp.RowNumber):
        return False
    parts = window.args.get("partition_by") or []
    if not parts or not all(isinstance(part, exp.Column) and part.name in LATEST_KEY for part in parts):
        return False
    order = window.args.get("order")
    keys = order.expressions if order is not None else []
    newest = [TIME, "event.id"][: len(keys)]
    return 1 <= len(keys) <= 2 and all(
        isinstance(key.this, exp.Column) and key.this.name == name and bool(key.args.get("desc"))
        for key, name in zip(keys, newest, strict=True)
    )


def conjuncts(where: exp.Expr | None) -> list[exp.Expr]:
    """The ``AND``-ed conditions of a ``WHERE`` (none without one)."""
    if where is None:
        return []
    return list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]


def bound_allows(
    condition: exp.Expr, bound: Callable[[exp.Expr], datetime | None], newest: datetime | None
) -> bool:
    """A timeframe bound on ``timestamp`` that keeps the newest stored row (lower bounds always do);
    ``bound`` gives the naive UTC datetime a store's placeholder is bound to (None: not a bound value)."""
    if not isinstance(condition, exp.GT | exp.GTE | exp.LT | exp.LTE):
        return False
    if not isinstance(condition.this, exp.Column) or condition.this.name != TIME:
        return False
    end = bound(condition.expression)
    if end is None:
        return False
    if isinstance(condition, exp.GT | exp.GTE):
        return True
    return newest is None or (end > newest if isinstance(condition, exp.LT) else end >= newest)
