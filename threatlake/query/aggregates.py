"""The aggregation function table (summarize, makeTimeseries): DQL name → spec, as in ``functions.py``."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import Spec, constant
from threatlake.query.dtypes import DOUBLE, LONG, NULL, Typed, array_of
from threatlake.query.expressions import ExprCompiler, cast, coerce, fn, paren
from threatlake.query.fetchorder import fetch_order

__all__ = ["AGGREGATES", "ORDER_SENSITIVE"]

Emit = Callable[[ExprCompiler, n.Call, list[n.Param], dict[str, n.Param]], Typed]

# Aggregates whose result depends on record order: they follow the frame's sort.
ORDER_SENSITIVE = frozenset({"takeFirst", "takeLast", "collectArray"})


def _value(c: ExprCompiler, param: n.Param) -> Typed:
    value = c.expr(param.expr)
    return coerce(value, "string") if value.kind == "json" else value


def _ordered(c: ExprCompiler, value: exp.Expression, default: bool = False) -> exp.Expression:
    """``value`` in the frame's order; with ``default``, unsorted frames take the fetch order."""
    order = c.frame.order or (fetch_order(c.frame) if default else [])
    if not order:
        return value
    return exp.Order(this=value, expressions=[o.copy() for o in order])


def _not_null(value: exp.Expression) -> exp.Where:
    return exp.Where(this=exp.Not(this=exp.Is(this=paren(value.copy()), expression=exp.Null())))


def _count(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    return Typed(exp.Count(this=exp.Star()), LONG)


def _count_if(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    cond = coerce(c.expr(args[0].expr), "boolean").sql
    return Typed(exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=cond)), LONG)


def _count_distinct(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = _value(c, args[0]).sql
    return Typed(exp.Count(this=exp.Distinct(expressions=[value])), LONG)


def _sum(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = c.expr(args[0].expr)
    if value.kind in ("json", "null"):
        value = coerce(value, "double")
    if value.kind in ("long", "duration", "boolean"):
        return Typed(
            cast(exp.Sum(this=cast(value.sql, "BIGINT", safe=False)), "BIGINT"),
            value.type if value.kind != "boolean" else LONG,
        )
    if value.kind != "double":
        raise call.pos.error(f"sum needs numbers but found {value.kind}{{where}}")
    return Typed(exp.Sum(this=value.sql), DOUBLE)


def _avg(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = c.expr(args[0].expr)
    if value.kind in ("json", "null"):
        value = coerce(value, "double")
    if not (value.type.numeric or value.kind == "duration"):
        raise call.pos.error(f"avg needs numbers but found {value.kind}{{where}}")
    avg = exp.Avg(this=value.sql)
    return Typed(
        cast(avg, "BIGINT") if value.kind == "duration" else avg,
        value.type if value.kind == "duration" else DOUBLE,
    )


def _pick(build: Callable[[ExprCompiler, exp.Expression], exp.Expression]) -> Emit:
    """An aggregate that returns one of its input values; over a dynamic value it stays dynamic."""

    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        value = c.expr(args[0].expr)
        return Typed(build(c, value.sql), value.type)

    return emit


def _extreme(largest: bool) -> Emit:
    """min/max (takeMin/takeMax). A dynamic (JSON) value has no type until run time: numbers compare as
    numbers and win over text; text compares as text (the value returned keeps its own type)."""
    plain = exp.Max if largest else exp.Min
    by_key = exp.ArgMax if largest else exp.ArgMin

    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        value = c.expr(args[0].expr)
        if value.kind != "json":
            return Typed(plain(this=value.sql), value.type)
        number = coerce(value, "double").sql
        numeric = by_key(this=value.sql.copy(), expression=number)
        return Typed(exp.Coalesce(this=numeric, expressions=[plain(this=value.sql.copy())]), value.type)

    return emit


def _collect(distinct: bool) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        value = c.expr(args[0].expr)
        if value.kind == "json" and distinct:  # distinct by the value's text
            value = coerce(value, "string")
        inner: exp.Expression = (
            exp.Distinct(expressions=[value.sql]) if distinct else _ordered(c, value.sql, True)
        )
        agg: exp.Expression = exp.Filter(this=exp.ArrayAgg(this=inner), expression=_not_null(value.sql))
        limit = named.get("maxLength")
        if limit is not None:
            size = int(constant(limit, "long"))  # type: ignore[call-overload]
            agg = fn("list_slice", agg, exp.Literal.number(1), c.ctx.params.add(size, "BIGINT"))
        return Typed(agg, array_of(value.type if value.kind != "null" else NULL))

    return emit


def _percentile(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = coerce(c.expr(args[0].expr), "double")
    rank = float(constant(args[1], "long", "double"))  # type: ignore[arg-type]
    if not 0 <= rank <= 100:
        raise args[1].pos.error("percentile must be between 0 and 100{where}")
    return Typed(fn("quantile_cont", value.sql, c.ctx.params.add(rank / 100, "DOUBLE")), DOUBLE)


def _median(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = c.expr(args[0].expr)
    if value.kind in ("json", "null", "long"):
        value = coerce(value, "double") if value.kind != "long" else Typed(value.sql, DOUBLE)
    if value.kind != "double":
        raise call.pos.error(f"median needs numbers but found {value.kind}{{where}}")
    return Typed(exp.Median(this=value.sql), DOUBLE)


AGGREGATES: dict[str, Spec] = {
    "count": Spec(0, 0, _count),
    "countIf": Spec(1, 1, _count_if),
    "countDistinct": Spec(1, 1, _count_distinct, frozenset({"precision"})),
    "countDistinctExact": Spec(1, 1, _count_distinct),
    "sum": Spec(1, 1, _sum),
    "avg": Spec(1, 1, _avg),
    "min": Spec(1, 1, _extreme(largest=False)),
    "max": Spec(1, 1, _extreme(largest=True)),
    "takeFirst": Spec(1, 1, _pick(lambda c, v: fn("first", _ordered(c, v)))),
    "takeLast": Spec(1, 1, _pick(lambda c, v: fn("last", _ordered(c, v)))),
    "takeMin": Spec(1, 1, _extreme(largest=False)),
    "takeMax": Spec(1, 1, _extreme(largest=True)),
    "takeAny": Spec(1, 1, _pick(lambda c, v: fn("any_value", v))),
    "collectDistinct": Spec(1, 1, _collect(distinct=True), frozenset({"maxLength", "expand"})),
    "collectArray": Spec(1, 1, _collect(distinct=False), frozenset({"maxLength", "expand"})),
    "percentile": Spec(2, 2, _percentile),
    "median": Spec(1, 1, _median),
}
