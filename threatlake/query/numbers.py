"""Number and time functions. ``round`` rounds halves toward +infinity; ``now()`` is one bound value."""

from __future__ import annotations

from sqlglot import exp

from threatlake.errors import QueryError
from threatlake.query import nodes as n
from threatlake.query.calls import Emit, Spec, arg, constant, parse_timestamp, to_string
from threatlake.query.dtypes import (
    BOOLEAN,
    DOUBLE,
    DURATION,
    LONG,
    STRING,
    TIMESTAMP,
    DType,
    Typed,
)
from threatlake.query.expressions import ExprCompiler, cast, coerce, fn, paren, sql_string
from threatlake.query.operators import arithmetic
from threatlake.query.timeformat import java_format
from threatlake.query.tokens import DURATION_UNITS

__all__ = ["MAX_DECIMALS", "NUMBERS", "bin_value"]

MAX_DECIMALS = 20


def _round(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = arg(c, args[0])
    if value.kind == "json":
        value = coerce(value, "double")
    if value.kind == "long":
        return value
    if value.kind != "double":
        raise call.pos.error(f"round needs a number but found {value.kind}{{where}}")
    decimals_p = named.get("decimals") or (args[1] if len(args) > 1 else None)
    digits = int(constant(decimals_p, "long")) if decimals_p else 0  # type: ignore[call-overload]
    if decimals_p is not None and abs(digits) > MAX_DECIMALS:  # a double has about 16 significant digits
        raise decimals_p.pos.error(f"decimals must be between -{MAX_DECIMALS} and {MAX_DECIMALS}{{where}}")
    half = exp.Literal.number(0.5)
    if digits == 0:  # halves toward +infinity: floor(x + 0.5), unlike SQL's ROUND
        return Typed(exp.Floor(this=exp.Add(this=paren(value.sql), expression=half)), DOUBLE)
    scale = c.ctx.params.add(float(10**digits), "DOUBLE")
    scaled = exp.Floor(this=exp.Add(this=exp.Mul(this=paren(value.sql), expression=scale), expression=half))
    return Typed(exp.Div(this=scaled, expression=scale.copy()), DOUBLE)


def _numeric(klass: type[exp.Abs | exp.Floor | exp.Ceil]) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        value = arg(c, args[0])
        if value.kind in ("json", "null"):
            value = coerce(value, "double")
        if not value.type.numeric:
            raise call.pos.error(f"{call.name} needs a number but found {value.kind}{{where}}")
        node: exp.Expression = klass(this=value.sql)
        return Typed(exp.Try(this=node) if klass is exp.Abs and value.kind == "long" else node, value.type)

    return emit


def _to_long(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = arg(c, args[0])
    if value.kind in ("long", "duration"):
        return Typed(value.sql, LONG)
    if value.kind == "double":
        return Typed(cast(fn("trunc", value.sql), "BIGINT"), LONG)
    if value.kind == "timestamp":
        return Typed(exp.Try(this=fn("epoch_ns", value.sql)), LONG)  # past 2262: null
    if value.kind == "boolean":
        return Typed(cast(value.sql, "BIGINT"), LONG)
    text = coerce(value, "string").sql
    return Typed(cast(fn("trunc", cast(text, "DOUBLE")), "BIGINT"), LONG)


def _to_type(kind: str, sql_type: str) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        value = arg(c, args[0])
        if value.kind == kind:
            return value
        if value.kind == "json":
            return coerce(value, kind)
        return Typed(cast(value.sql, sql_type), DType(kind))

    return emit


def _to_boolean(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    """ "true" (any case) and non-zero numbers are true; every other value is false; null stays null."""
    value = arg(c, args[0])
    if value.kind == "boolean":
        return value
    if value.type.numeric:
        return Typed(exp.NEQ(this=paren(value.sql), expression=exp.Literal.number(0)), BOOLEAN)
    text = coerce(value, "string").sql
    return Typed(exp.EQ(this=exp.Lower(this=text), expression=sql_string("true")), BOOLEAN)


def _to_string_fn(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    return to_string(arg(c, args[0]))


def _to_timestamp(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    node = args[0].expr
    if isinstance(node, n.Literal) and node.kind == "string":
        return Typed(c.ctx.params.add(parse_timestamp(str(node.value), node.pos), "TIMESTAMP"), TIMESTAMP)
    value = arg(c, args[0])
    if value.kind == "timestamp":
        return value
    if value.kind == "long":
        return Typed(
            fn("make_timestamp", exp.IntDiv(this=paren(value.sql), expression=exp.Literal.number(1000))),
            TIMESTAMP,
        )
    text = coerce(value, "string").sql
    return Typed(fn("timezone", sql_string("UTC"), cast(text, "TIMESTAMPTZ")), TIMESTAMP)


def _now(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    return Typed(c.ctx.params.add(c.ctx.now, "TIMESTAMP"), TIMESTAMP)


def bin_value(value: Typed, interval: Typed) -> Typed:
    """``bin(x, i)`` and ``x @ i``: align down to a multiple of ``i`` (timestamps: since the epoch, UTC)."""
    if value.kind == "timestamp" and interval.kind == "duration":
        per_us = exp.IntDiv(this=paren(interval.sql), expression=exp.Literal.number(1000))
        micros = exp.Nullif(this=per_us, expression=exp.Literal.number(0))  # a zero interval aligns to null
        epoch = fn("epoch_us", value.sql)
        aligned = exp.Sub(this=epoch, expression=exp.Mod(this=epoch.copy(), expression=micros))
        return Typed(fn("make_timestamp", aligned), TIMESTAMP)
    if (value.type.numeric and interval.type.numeric) or value.kind == interval.kind == "duration":
        step = exp.Nullif(this=paren(interval.sql), expression=exp.Literal.number(0))
        floored = exp.Mul(
            this=exp.Floor(this=exp.Div(this=paren(value.sql), expression=step)),
            expression=paren(interval.sql.copy()),
        )
        kind = value.type if value.kind == interval.kind else DOUBLE
        return Typed(cast(floored, "BIGINT") if kind.kind in ("long", "duration") else floored, kind)
    raise QueryError(f"Cannot align a {value.kind} to a {interval.kind}")


def _bin(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    interval_p = named.get("interval") or args[1] if len(args) > 1 else named.get("interval")
    if interval_p is None:
        raise call.pos.error("bin needs an interval{where}")
    return bin_value(arg(c, args[0]), arg(c, interval_p))


def _format_timestamp(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = arg(c, args[0], "timestamp")
    fmt_p = named.get("format") or (args[1] if len(args) > 1 else None)
    if fmt_p is None:
        return to_string(value)
    fmt = c.ctx.params.add(java_format(str(constant(fmt_p, "string"))))
    return Typed(fn("strftime", value.sql, fmt), STRING)


def _part(name: str) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        moment = arg(c, args[0], "timestamp").sql
        if isinstance(moment, exp.Null):  # an untyped NULL matches several overloads (DuckDB cannot choose)
            moment = cast(moment, "TIMESTAMP")
        return Typed(cast(fn(name, moment), "BIGINT", safe=False), LONG)

    return emit


def _duration(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = arg(c, args[0])
    unit_p = named.get("unit") or (args[1] if len(args) > 1 else None)
    unit = str(constant(unit_p, "string")) if unit_p else "ns"
    if unit not in DURATION_UNITS:
        raise call.pos.error(f"Unknown duration unit '{unit}'{{where}}")
    scale = Typed(c.ctx.params.add(DURATION_UNITS[unit], "BIGINT"), LONG)
    if value.kind == "json":
        value = coerce(value, "double")
    if value.kind == "double":  # nanoseconds past the range of a long are null, as every overflow is
        return Typed(cast(fn("trunc", arithmetic("*", value, scale).sql), "BIGINT"), DURATION)
    return Typed(arithmetic("*", value, scale).sql, DURATION)


NUMBERS: dict[str, Spec] = {
    "round": Spec(1, 2, _round, frozenset({"decimals"})),
    "abs": Spec(1, 1, _numeric(exp.Abs)),
    "floor": Spec(1, 1, _numeric(exp.Floor)),
    "ceil": Spec(1, 1, _numeric(exp.Ceil)),
    "toLong": Spec(1, 1, _to_long),
    "toDouble": Spec(1, 1, _to_type("double", "DOUBLE")),
    "toString": Spec(1, 1, _to_string_fn),
    "toBoolean": Spec(1, 1, _to_boolean),
    "toTimestamp": Spec(1, 1, _to_timestamp),
    "now": Spec(0, 0, _now),
    "bin": Spec(1, 2, _bin, frozenset({"interval"})),
    "formatTimestamp": Spec(1, 2, _format_timestamp, frozenset({"format", "timezone"})),
    "getHour": Spec(1, 1, _part("hour")),
    "getDayOfWeek": Spec(1, 1, _part("isodow")),
    "duration": Spec(1, 2, _duration, frozenset({"unit"})),
}
