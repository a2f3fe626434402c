"""The state between pipe stages: a ``Frame`` is one SELECT being built, folded as far as SQL allows.

Each stage either edits the frame in place (filter → WHERE, fields → projections, sort → ORDER BY, limit →
LIMIT, dedup → QUALIFY) or, when SQL's clause order would change the meaning (a filter after a limit, an
aggregation after anything), wraps it as a sub-query and continues on that.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp

from threatlake.model.fields import FIELDS
from threatlake.query import nodes as n
from threatlake.query.dtypes import Typed, from_field_type

__all__ = ["BUCKET", "EXTRA", "Ctx", "Frame", "Params", "alias"]

BUCKET = "dt.system.bucket"
EXTRA = "__extra__"  # output column carrying the non-catalogue fields (JSON) of raw events

# The catalogue columns of the `events` table, shared by every raw frame. Never mutated: stages that change
# the fields build a new dict, so `cols is RAW_COLUMNS` means "all catalogue fields, untouched".
RAW_COLUMNS: dict[str, Typed] = {
    name: Typed(exp.column(name, quoted=True), from_field_type(f.type)) for name, f in FIELDS.items()
}
# Their projection, generated once: the same for every dialect that quotes identifiers with double quotes.
_RAW_PROJECTION = ", ".join(exp.column(name, quoted=True).sql("duckdb") for name in RAW_COLUMNS)


_TYPES = {
    "VARCHAR": exp.DataType.Type.VARCHAR,
    "BIGINT": exp.DataType.Type.BIGINT,
    "DOUBLE": exp.DataType.Type.DOUBLE,
    "BOOLEAN": exp.DataType.Type.BOOLEAN,
    "TIMESTAMP": exp.DataType.Type.TIMESTAMP,
    "TIMESTAMPTZ": exp.DataType.Type.TIMESTAMPTZ,
    "JSON": exp.DataType.Type.JSON,
}


def sql_type(name: str) -> exp.DataType:
    """A SQL type node, built directly (``DataType.build`` parses, which costs more than the whole stage)."""
    if name.endswith("[]"):
        return exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[sql_type(name[:-2])], nested=True)
    return exp.DataType(this=_TYPES[name])


def alias(node: exp.Expression, name: str, quoted: bool = True) -> exp.Expression:
    """``node AS "name"`` (the output field name, always quoted)."""
    return exp.Alias(this=node, alias=exp.to_identifier(name, quoted=quoted))


class Params:
    """Bound parameters, numbered ``$1..$n``; equal values share one number (``now()`` is bound once)."""

    def __init__(self) -> None:
        self.values: list[object] = []
        self._index: dict[tuple[type, object], int] = {}

    def add(self, value: object, cast: str | None = None) -> exp.Expression:
        key = (type(value), value)
        try:
            number = self._index.get(key)
        except TypeError:  # unhashable (a list): never shared
            number = None
        if number is None:
            self.values.append(value)
            number = len(self.values)
            with contextlib.suppress(TypeError):
                self._index[key] = number
        node: exp.Expression = exp.Placeholder(this=str(number))
        if cast is not None:
            node = exp.Cast(this=node, to=sql_type(cast))
        return node


@dataclass
class Ctx:
    """What every stage of one compilation shares."""

    params: Params
    now: datetime
    timeframe: tuple[datetime, datetime]
    dialect: str
    subquery: Callable[[n.Query], Frame] = field(repr=False)
    aliases: int = 0
    known_buckets: frozenset[str] | None = None  # the store's bucket names, when the caller gave them
    shown_buckets: set[str] = field(default_factory=set)  # bucket names as the fetched views present them
    bucket_refs: list[tuple[str, n.Pos]] = field(default_factory=list)  # names (or patterns) a query tests
    notifications: list[dict[str, object]] = field(default_factory=list)  # for the result's metadata
    tables: set[str] = field(default_factory=set)  # the data objects fetched (subqueries too)

    def alias(self) -> str:
        self.aliases += 1
        return f"t{self.aliases}"

    def note_bucket(self, field: n.Expr, value: n.Expr) -> None:
        """``dt.system.bucket == "name"``: remember the name, to check it against the store's buckets."""
        named = isinstance(field, n.Field) and field.name == BUCKET
        if named and isinstance(value, n.Literal) and value.kind == "string":
            self.bucket_refs.append((str(value.value), value.pos))

    def notify(self, kind: str, message: str, pos: n.Pos | None = None) -> None:
        """A warning in the result's metadata (the platform's notification shape)."""
        note: dict[str, object] = {"severity": "WARNING", "notificationType": kind, "message": message}
        if pos is not None:
            note["syntaxPosition"] = {"start": {"line": pos.line, "column": pos.column}}
        self.notifications.append(note)


@dataclass
class Frame:
    source: exp.Expression
    cols: dict[str, Typed]
    timeframe: tuple[datetime, datetime]
    extra: exp.Expression | None = None  # set while unknown names may still read the raw `extra` column
    joins: list[exp.Join] = field(default_factory=list)
    where: list[exp.Expression] = field(default_factory=list)
    qualify: exp.Expression | None = None
    group: list[exp.Expression] | None = None  # set once aggregated (summarize): cols are aggregates and keys
    order: list[exp.Ordered] = field(default_factory=list)
    limit: int | None = None
    dropped: set[str] = field(default_factory=set)
    sparse: bool = False  # raw events: a record omits the fields it does not have
    hidden: frozenset[str] = frozenset()  # non-catalogue fields removed from the output (the extra column)

    def replace(self, **changes: object) -> Frame:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def plain(self) -> bool:
        """True when a WHERE or an aggregation may be added without changing what came before."""
        return self.limit is None and self.qualify is None and self.group is None

    def select(self, params: Params, *, with_extra: bool = True, cap: int | None = None) -> exp.Select:
        projections: list[exp.Expression] = []
        if self.cols is RAW_COLUMNS:
            projections.append(exp.Var(this=_RAW_PROJECTION))
        for name, col in () if self.cols is RAW_COLUMNS else self.cols.items():
            sql = col.sql.copy()
            if isinstance(sql, exp.Column) and sql.name == name and sql.this.quoted:
                projections.append(sql)
            else:
                projections.append(alias(sql, name, quoted=True))
        if with_extra and self.extra is not None:
            projections.append(alias(self.extra.copy(), EXTRA, quoted=True))
        if not projections:
            projections.append(alias(exp.Null(), "__empty__", quoted=True))
        sel = exp.Select(expressions=projections).from_(self.source.copy(), copy=False)
        for join in self.joins:
            sel = sel.join(join.copy(), copy=False)
        if self.where:
            sel = sel.where(*[w.copy() for w in self.where], copy=False)
        if self.group:
            sel = sel.group_by(*[g.copy() for g in self.group], copy=False)
        if self.qualify is not None:
            sel = sel.qualify(self.qualify.copy(), copy=False)
        if self.order:
            sel = sel.order_by(*[o.copy() for o in self.order], copy=False)
        limit = self.limit if cap is None else cap if self.limit is None else min(self.limit, cap)
        if limit is not None:
            sel = sel.limit(params.add(limit), copy=False)
        return sel

    def wrap(self, ctx: Ctx) -> Frame:
        """This frame as a sub-query: the next stage sees only its output columns."""
        name = ctx.alias()
        sub = exp.Subquery(this=self.select(ctx.params), alias=exp.TableAlias(this=exp.to_identifier(name)))
        return self.output_view(sub)

    def output_view(self, source: exp.Expression) -> Frame:
        """A frame reading this frame's output columns by name from ``source``."""
        cols = RAW_COLUMNS
        if self.cols is not RAW_COLUMNS:
            cols = {key: Typed(exp.column(key, quoted=True), col.type) for key, col in self.cols.items()}
        extra = exp.column(EXTRA, quoted=True) if self.extra is not None else None
        return Frame(
            source,
            cols,
            self.timeframe,
            extra=extra,
            dropped=set(self.dropped),
            sparse=self.sparse,
            hidden=self.hidden if extra is not None else frozenset(),
        )

    def plain_frame(self, ctx: Ctx) -> Frame:
        return self if self.plain else self.wrap(ctx)
