"""DQL expressions → typed sqlglot trees: literals (always bound), fields, operators, access and iteration.

Function calls are looked up in ``functions.FUNCTIONS`` and ``aggregates.AGGREGATES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from threatlake.errors import QueryError
from threatlake.query import nodes as n
from threatlake.query.dtypes import (
    BOOLEAN,
    DOUBLE,
    DURATION,
    JSON,
    LONG,
    NULL,
    STRING,
    DType,
    Typed,
    array_of,
)
from threatlake.query.frame import Ctx, Frame
from threatlake.query.frame import sql_type as frame_sql_type
from threatlake.query.parser import ASSIGN_HINT, did_you_mean

__all__ = ["UNEXPECTED", "ExprCompiler", "cast", "fn", "paren", "sql_string"]

#: What a user sees when the compiler fails unexpectedly (the exception is kept as the error's cause, to log).
UNEXPECTED = "This could not be compiled (an internal error in Threatlake; please report the query)"

_CASTS = {"string": "VARCHAR", "long": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
_CASTS |= {"timestamp": "TIMESTAMP", "duration": "BIGINT"}
_SIMPLE = (exp.Column, exp.Literal, exp.Placeholder, exp.Paren, exp.Func, exp.Null, exp.Boolean, exp.Cast)
_OPERATOR_FUNCS = (exp.JSONExtract, exp.JSONExtractScalar, exp.Binary)


def fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def paren(node: exp.Expression) -> exp.Expression:
    if isinstance(node, _SIMPLE) and not isinstance(node, _OPERATOR_FUNCS):
        return node
    return exp.Paren(this=node)


def operand(node: exp.Expression) -> exp.Expression:
    """An operand of AND/OR or of a comparison: parenthesized when it is itself a boolean operation."""
    return exp.Paren(this=node) if isinstance(node, exp.Connector | exp.Predicate | exp.Not) else node


def sql_string(text: str) -> exp.Expression:
    """A compiler-made constant (never user text)."""
    return exp.Literal.string(text)


def cast(node: exp.Expression, sql_type: str, *, safe: bool = True) -> exp.Expression:
    klass = exp.TryCast if safe else exp.Cast
    return klass(this=node, to=frame_sql_type(sql_type))


def coerce(value: Typed, kind: str) -> Typed:
    """Read ``value`` as ``kind``: JSON values are unwrapped, nulls typed, longs widened."""
    if value.kind == kind or kind in ("json", "array", "record"):
        return value
    if value.kind == "null":
        return Typed(exp.Null(), DType(kind))
    if value.kind == "json":
        text = exp.JSONExtractScalar(
            this=value.sql, expression=exp.JSONPath(expressions=[exp.JSONPathRoot()])
        )
        return Typed(text if kind == "string" else cast(text, _CASTS.get(kind, "VARCHAR")), DType(kind))
    if kind == "double" and value.kind == "long":
        return Typed(value.sql, DOUBLE)
    raise QueryError(f"Expected a {kind} value but found {value.kind}")


def common(a: Typed, b: Typed) -> tuple[Typed, Typed]:
    """Bring two operands of a comparison to one type."""
    if a.kind in (b.kind, "null") or b.kind == "null":
        return a, b
    if a.type.numeric and b.type.numeric:
        return a, b
    if a.kind == "json":  # a dynamic value against a number compares as a number (9.5 >= 9 holds)
        return coerce(a, "double" if b.type.numeric else b.kind), b
    if b.kind == "json":
        return a, coerce(b, "double" if a.type.numeric else a.kind)
    raise QueryError(f"Cannot compare {a.kind} with {b.kind}")


@dataclass
class _Iteration:
    var: str
    arrays: list[exp.Expression] = field(default_factory=list)


class ExprCompiler:
    """Compiles expressions against one frame. ``aggregate`` allows aggregation functions (summarize)."""

    def __init__(self, ctx: Ctx, frame: Frame, *, aggregate: bool = False) -> None:
        self.ctx = ctx
        self.frame = frame
        self.aggregate = aggregate
        self.in_aggregate = False
        self.iterations: list[_Iteration] = []

    # -- entry points

    def compile(self, node: n.Expr) -> Typed:
        """A top-level expression; ``arr[]`` outside ``iAny``/``iAll`` gives an array, a value per element."""
        body, iteration = self.iterate(node)
        if not iteration.arrays:
            return body
        return Typed(self.over_elements("list_transform", iteration, body.sql), array_of(body.type))

    def condition(self, node: n.Expr) -> exp.Expression:
        value = self.compile(node)
        if value.kind == "null":
            return exp.Null()
        if value.kind not in ("boolean", "json"):
            raise node.pos.error(f"Expected a boolean condition but found {value.kind}{{where}}")
        return coerce(value, "boolean").sql

    def iterate(self, node: n.Expr) -> tuple[Typed, _Iteration]:
        iteration = _Iteration(f"__i{len(self.iterations) + 1}")
        self.iterations.append(iteration)
        try:
            return self.expr(node), iteration
        finally:
            self.iterations.pop()

    def over_elements(self, func: str, iteration: _Iteration, body: exp.Expression) -> exp.Expression:
        size = fn("len", iteration.arrays[0].copy())
        indexes = fn("range", exp.Literal.number(1), exp.Add(this=size, expression=exp.Literal.number(1)))
        var = exp.to_identifier(iteration.var)
        return fn(func, indexes, exp.Lambda(this=body, expressions=[var]))

    # -- dispatch

    def expr(self, node: n.Expr) -> Typed:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise node.pos.error(
                f"Unexpected {type(node).__name__.lower()} '{node}' in an expression{{where}}"
            )
        try:
            return handler(self, node)
        except QueryError as error:
            if error.line:
                raise
            raise node.pos.error(error.reason + "{where}") from None
        except RecursionError:
            raise
        except Exception as error:  # a compiler bug: positioned at the innermost expression
            raise node.pos.error(f"{UNEXPECTED}{{where}}") from error

    def literal(self, node: n.Literal) -> Typed:
        params = self.ctx.params
        if node.kind == "string":
            return Typed(params.add(node.value), STRING)
        if node.kind == "long":
            return Typed(params.add(node.value, "BIGINT"), LONG)
        if node.kind == "double":
            return Typed(params.add(node.value, "DOUBLE"), DOUBLE)
        if node.kind == "duration":
            return Typed(params.add(node.value, "BIGINT"), DURATION)
        if node.kind == "boolean":
            return Typed(exp.true() if node.value else exp.false(), BOOLEAN)
        return Typed(exp.Null(), NULL)

    def field(self, node: n.Field) -> Typed:
        if self.aggregate and not self.in_aggregate:
            raise node.pos.error(f"Field '{node.name}' must be used inside an aggregation function{{where}}")
        return self.lookup(node.name, node.pos)

    def lookup(self, name: str, pos: n.Pos) -> Typed:
        frame = self.frame
        col = frame.cols.get(name)
        if col is not None:
            return Typed(col.sql.copy(), col.type)
        if frame.extra is not None and name not in frame.dropped:
            path = self.ctx.params.add('$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"')
            return Typed(exp.JSONExtract(this=frame.extra.copy(), expression=path), JSON)
        hint = did_you_mean(name, frame.cols)
        if name in frame.dropped:
            raise pos.error(f"Field '{name}' was removed by an earlier command{{where}}{hint}")
        raise pos.error(f"Unknown field '{name}'{{where}}{hint}")

    def unary(self, node: n.Unary) -> Typed:
        value = self.expr(node.operand)
        if node.op == "not":
            return Typed(exp.Not(this=paren(coerce(value, "boolean").sql)), BOOLEAN)
        if value.kind == "json":
            value = coerce(value, "double")
        if not (value.type.numeric or value.kind in ("duration", "null")):
            raise QueryError(f"Cannot negate a {value.kind}")
        return Typed(exp.Neg(this=paren(value.sql)), value.type)

    def binary(self, node: n.Binary) -> Typed:
        from threatlake.query.operators import BINARY

        return BINARY[node.op](self, node)

    def access(self, node: n.Access) -> Typed:
        base = self.expr(node.base)
        if node.key is None:
            return self.element(node, base)
        if isinstance(node.key, n.Field) or (isinstance(node.key, n.Literal) and node.key.kind == "string"):
            key = node.key.name if isinstance(node.key, n.Field) else str(node.key.value)
            return self.member(base, key, node.key.pos)
        from threatlake.query.calls import MAX_OFFSET, bounded_long

        position_of = bounded_long(self, n.Param(node.key.pos, node.key), "An array index")
        index = Typed(position_of, LONG)
        if base.kind == "json":
            base = Typed(cast(base.sql, "JSON[]"), array_of(JSON))
        if base.kind != "array":
            raise node.pos.error(f"Cannot index a {base.kind} value{{where}}")
        if isinstance(node.key, n.Literal) and isinstance(node.key.value, int) and node.key.kind == "long":
            value = node.key.value
            assert abs(value) <= MAX_OFFSET
            position = self.ctx.params.add(value + 1 if value >= 0 else value, "BIGINT")
        else:
            zero = exp.Literal.number(0)
            position = exp.Case(
                ifs=[
                    exp.If(
                        this=exp.GTE(this=paren(index.sql), expression=zero),
                        true=exp.Add(this=paren(index.sql.copy()), expression=exp.Literal.number(1)),
                    )
                ],
                default=index.sql.copy(),
            )
        assert base.type.item is not None
        return Typed(fn("list_extract", base.sql, position), base.type.item)

    def member(self, base: Typed, key: str, pos: n.Pos) -> Typed:
        if base.kind == "record" and base.type.fields is not None:
            ftype = base.type.field(key)
            if ftype is None:
                names = [name for name, _ in base.type.fields]
                raise pos.error(f"Record has no field '{key}'{{where}}{did_you_mean(key, names)}")
            return Typed(fn("struct_extract", base.sql, sql_string(key)), ftype)
        if base.kind in ("json", "record", "null"):
            path = self.ctx.params.add('$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"')
            return Typed(exp.JSONExtract(this=cast(base.sql, "JSON"), expression=path), JSON)
        raise pos.error(f"Cannot read field '{key}' of a {base.kind} value{{where}}")

    def element(self, node: n.Access, base: Typed) -> Typed:
        if not self.iterations:
            raise node.pos.error("'[]' is only allowed in an expression over array elements{where}")
        if base.kind == "json":
            base = Typed(cast(base.sql, "JSON[]"), array_of(JSON))
        if base.kind != "array" or base.type.item is None:
            raise node.pos.error(f"'[]' needs an array but found {base.kind}{{where}}")
        iteration = self.iterations[-1]
        iteration.arrays.append(base.sql)
        return Typed(fn("list_extract", base.sql.copy(), exp.column(iteration.var)), base.type.item)

    def call(self, node: n.Call) -> Typed:
        from threatlake.query.functions import lookup_function

        spec, is_aggregate = lookup_function(node)
        positional = [p for p in node.params if p.name is None]
        named = {p.name: p for p in node.params if p.name is not None}
        if not spec.min_args <= len(positional) <= spec.max_args:
            expected = (
                str(spec.min_args)
                if spec.min_args == spec.max_args
                else f"{spec.min_args} to {spec.max_args}"
            )
            if spec.max_args > 99:
                expected = f"at least {spec.min_args}"
            raise node.pos.error(
                f"Function '{node.name}' takes {expected} argument(s), got {len(positional)}{{where}}"
            )
        if node.name != "record":
            for p in positional:
                if p.alias is not None:
                    raise (p.assign or p.pos).error(
                        f"Unexpected assignment in a call of {node.name}{{where}}; {ASSIGN_HINT}"
                    )
        for name, param in named.items():
            if name not in spec.named:
                raise param.pos.error(
                    f"Unknown parameter '{name}' for {node.name}{{where}}{did_you_mean(name, spec.named)}"
                )
        if is_aggregate:
            if not self.aggregate or self.in_aggregate:
                raise node.pos.error(
                    f"Aggregation '{node.name}' is only allowed in summarize and makeTimeseries{{where}}"
                )
            self.in_aggregate = True
            try:
                return spec.emit(self, node, positional, named)
            finally:
                self.in_aggregate = False
        return spec.emit(self, node, positional, named)

    def group(self, node: n.Group) -> Typed:
        """``{a, b}`` as a value is an array literal (``arrayConcat(arr, {"x", "y"})``)."""
        from threatlake.query.calls import unify

        for p in node.params:
            if p.name is not None or p.alias is not None:
                raise p.pos.error("An array in braces holds values, not named or assigned items{where}")
        values, item = unify([self.expr(p.expr) for p in node.params])
        return Typed(exp.Array(expressions=[v.sql for v in values]), array_of(item))

    def subquery(self, node: n.SubQuery) -> Typed:
        raise node.pos.error("A sub-query is only allowed after 'in' or as a command parameter{where}")


_HANDLERS: dict[type, Callable[[ExprCompiler, n.Expr], Typed]] = {
    n.Literal: ExprCompiler.literal,  # type: ignore[dict-item]
    n.Field: ExprCompiler.field,  # type: ignore[dict-item]
    n.Unary: ExprCompiler.unary,  # type: ignore[dict-item]
    n.Binary: ExprCompiler.binary,  # type: ignore[dict-item]
    n.Access: ExprCompiler.access,  # type: ignore[dict-item]
    n.Call: ExprCompiler.call,  # type: ignore[dict-item]
    n.Group: ExprCompiler.group,  # type: ignore[dict-item]
    n.SubQuery: ExprCompiler.subquery,  # type: ignore[dict-item]
}
