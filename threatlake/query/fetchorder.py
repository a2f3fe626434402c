"""The fetch order: records of ``security.events`` come newest first, then by ``event.id``.

DQL leaves the order of records unspecified where a query does not sort (``docs/dql.md``), but a stage
that keeps some rows and drops others by their order must not leave the choice to the engine, or DuckDB and
ClickHouse keep different rows: ``limit`` without a sort before it, the row ``dedup`` keeps per key and the
match ``lookup`` keeps per key when no order is given, the order of ties after ``sort`` (a stable sort over
the fetch order), and the element order of ``collectArray`` over unsorted records. A ``dedup`` or ``lookup``
given an order keeps it as is: a string tiebreak in a window costs DuckDB 2-4x its sort (measured on 1M
rows: 284 ms by ``timestamp``, 1,078 ms by ``timestamp, event.id``), and the latest-state idiom
(``dedup {finding.id}, sort:{timestamp desc}``) must stay fast; ties in the given order stay the engine's.
Each of them ends its order with ``fetch_order``: ``timestamp`` descending, then ``event.id`` descending
(unique per stored event; the tiebreak ``latest`` uses, so ``dedup`` by the finding key keeps its row),
nulls last, wherever both are in reach (output fields of the frame, or the
stored columns of a frame still reading the events table). Elsewhere (after an aggregation that dropped
them) there is nothing to break ties with, and the order stays the engine's.
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.query.frame import Frame

__all__ = ["FETCH_ORDER", "fetch_order", "with_fetch_order"]

#: (field, descending) — the order of a fetch of stored events.
FETCH_ORDER: tuple[tuple[str, bool], ...] = (("timestamp", True), ("event.id", True))


def _in_reach(frame: Frame, name: str) -> exp.Expression | None:
    col = frame.cols.get(name)
    if col is not None:
        return col.sql.copy()
    stored = isinstance(frame.source, exp.Table) and frame.source.name == "events" and not frame.joins
    return exp.column(name, quoted=True) if stored and frame.group is None else None


def fetch_order(frame: Frame) -> list[exp.Ordered]:
    """The fetch order over ``frame``, or [] where its fields are out of reach."""
    keys = [(_in_reach(frame, name), desc) for name, desc in FETCH_ORDER]
    if any(sql is None for sql, _ in keys):
        return []
    return [exp.Ordered(this=sql, desc=desc, nulls_first=False) for sql, desc in keys if sql is not None]


def with_fetch_order(frame: Frame, order: list[exp.Ordered]) -> list[exp.Ordered]:
    """``order`` with the fetch order as its last tiebreak (keys already in ``order`` left out)."""
    tail = fetch_order(frame)
    have = {key.this.sql() for key in order}
    if tail and tail[-1].this.sql() in have:  # already ordered by the unique id: no ties left
        return order
    return order + [key for key in tail if key.this.sql() not in have]
