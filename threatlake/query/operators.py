"""Binary operators: a table DQL operator → emitter. Comparisons are three-valued (SQL's own); long / long
is integer division; division by zero gives null."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from threatlake.errors import QueryError
from threatlake.query import nodes as n
from threatlake.query.dtypes import BOOLEAN, DOUBLE, DURATION, LONG, NULL, STRING, TIMESTAMP, DType, Typed
from threatlake.query.expressions import ExprCompiler, cast, coerce, common, fn, operand, paren

__all__ = ["BINARY", "arithmetic", "in_list"]

COMPARE: dict[str, type[exp.Expression]] = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE}
COMPARE |= {">": exp.GT, ">=": exp.GTE}


def _logic(c: ExprCompiler, node: n.Binary) -> Typed:
    left = coerce(c.expr(node.left), "boolean").sql
    right = coerce(c.expr(node.right), "boolean").sql
    if node.op == "xor":
        return Typed(exp.NEQ(this=operand(left), expression=operand(right)), BOOLEAN)
    klass = exp.And if node.op == "and" else exp.Or
    return Typed(klass(this=_grouped(left), expression=_grouped(right)), BOOLEAN)


def _grouped(node: exp.Expression) -> exp.Expression:
    return exp.Paren(this=node) if isinstance(node, exp.Connector) else node


def _compare(c: ExprCompiler, node: n.Binary) -> Typed:
    left, right = common(c.expr(node.left), c.expr(node.right))
    return Typed(COMPARE[node.op](this=operand(left.sql), expression=operand(right.sql)), BOOLEAN)


def _search(c: ExprCompiler, node: n.Binary) -> Typed:
    left, right = c.expr(node.left), coerce(c.expr(node.right), "string")
    if left.kind == "array":
        var = exp.to_identifier("__s")
        pred = fn("contains", exp.Lower(this=exp.column("__s")), exp.Lower(this=right.sql))
        hits = fn("list_filter", left.sql, exp.Lambda(this=pred, expressions=[var]))
        return Typed(exp.GT(this=fn("len", hits), expression=exp.Literal.number(0)), BOOLEAN)
    left = (
        coerce(left, "string")
        if left.kind in ("json", "null", "string")
        else Typed(cast(left.sql, "VARCHAR"), STRING)
    )
    return Typed(fn("contains", exp.Lower(this=left.sql), exp.Lower(this=right.sql)), BOOLEAN)


def in_list(c: ExprCompiler, value: Typed, target: n.Expr) -> Typed:
    """``value in [sub-query]``, ``in(value, {a, b})``, ``in(value, array)``."""
    if isinstance(target, n.SubQuery):
        frame = c.ctx.subquery(target.query)
        if not frame.cols:
            raise target.pos.error("The sub-query returns no fields{where}")
        first_name, first = next(iter(frame.cols.items()))
        inner = frame.replace(cols={first_name: first}, extra=None).select(c.ctx.params)
        value, _ = common(value, first)
        return Typed(exp.In(this=paren(value.sql), query=exp.Subquery(this=inner)), BOOLEAN)
    if isinstance(target, n.Group):
        items = []
        for p in target.params:
            item = c.expr(p.expr)
            value, item = common(value, item)
            items.append(item.sql)
        if not items:
            return Typed(exp.false(), BOOLEAN)
        return Typed(exp.In(this=paren(value.sql), expressions=items), BOOLEAN)
    array = c.expr(target)
    if array.kind != "array":
        value, array = common(value, array)
        return Typed(exp.EQ(this=paren(value.sql), expression=paren(array.sql)), BOOLEAN)
    item = Typed(exp.Null(), array.type.item or NULL)
    value, _ = common(value, item)
    return Typed(fn("list_contains", array.sql, value.sql), BOOLEAN)


def _in(c: ExprCompiler, node: n.Binary) -> Typed:
    return in_list(c, c.expr(node.left), node.right)


def _align(c: ExprCompiler, node: n.Binary) -> Typed:
    from threatlake.query.numbers import bin_value

    return bin_value(c.expr(node.left), c.expr(node.right))


def arithmetic(op: str, left: Typed, right: Typed) -> Typed:
    if left.kind == "json":
        left = coerce(left, "double")
    if right.kind == "json":
        right = coerce(right, "double")
    lk, rk = left.kind, right.kind
    a, b = paren(left.sql), paren(right.sql)
    if lk == "null" or rk == "null":
        return Typed(exp.Null(), right.type if lk == "null" else left.type)
    if lk == "timestamp" and rk == "duration" and op in "+-":
        delta = fn("to_microseconds", exp.IntDiv(this=b, expression=exp.Literal.number(1000)))
        return Typed((exp.Add if op == "+" else exp.Sub)(this=a, expression=delta), TIMESTAMP)
    if lk == "duration" and rk == "timestamp" and op == "+":
        return arithmetic(op, right, left)
    if lk == "timestamp" and rk == "timestamp" and op == "-":
        return Typed(exp.Sub(this=fn("epoch_ns", a), expression=fn("epoch_ns", b)), DURATION)
    result: DType | None = None
    if left.type.numeric and right.type.numeric:
        result = LONG if lk == rk == "long" else DOUBLE
    elif lk == rk == "duration" and op in "+-%":
        result = DURATION
    elif lk == rk == "duration" and op == "/":
        result = DOUBLE
    elif ((lk, rk) in (("duration", "long"), ("duration", "double")) and op in "*/") or (
        (lk, rk) in (("long", "duration"), ("double", "duration")) and op == "*"
    ):
        result = DURATION
    if result is None:
        raise QueryError(f"Cannot apply '{op}' to {lk} and {rk}")
    if op in "/%":
        b = exp.Nullif(this=b, expression=exp.Literal.number(0))
        if op == "%":
            return Typed(exp.Mod(this=a, expression=b), result)
        if (lk in ("long", "duration") and rk == "long") or (lk == rk == "long"):
            return Typed(exp.IntDiv(this=a, expression=b), result)
        node: exp.Expression = exp.Div(this=a, expression=b)
        if result is DURATION:
            node = cast(fn("trunc", node), "BIGINT")
        return Typed(node, result)
    klass = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[op]
    node = klass(this=a, expression=b)  # type: ignore[assignment]
    if result is DURATION and DOUBLE in (left.type, right.type):
        node = cast(fn("trunc", node), "BIGINT")
    return Typed(node, result)


def _arith(c: ExprCompiler, node: n.Binary) -> Typed:
    return arithmetic(node.op, c.expr(node.left), c.expr(node.right))


BINARY: dict[str, Callable[[ExprCompiler, n.Binary], Typed]] = {
    "and": _logic,
    "or": _logic,
    "xor": _logic,
    "in": _in,
    "~": _search,
    "@": _align,
    **dict.fromkeys(COMPARE, _compare),
    **dict.fromkeys(("+", "-", "*", "/", "%"), _arith),
}
