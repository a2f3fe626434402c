"""The shape of a function call: ``Spec`` (arity, named parameters, emitter) and the argument helpers
the function tables share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.dtypes import (
    DOUBLE,
    NULL,
    STRING,
    DType,
    Typed,
)
from threatlake.query.expressions import ExprCompiler, cast, coerce, fn, sql_string

__all__ = [
    "MANY",
    "MAX_OFFSET",
    "Emit",
    "Spec",
    "anon",
    "any_element",
    "arg",
    "bounded_long",
    "constant",
    "parse_timestamp",
    "regex_escape",
    "simple",
    "to_string",
    "unify",
]

Emit = Callable[[ExprCompiler, n.Call, list[n.Param], dict[str, n.Param]], Typed]


MANY = 1_000


@dataclass(frozen=True, slots=True)
class Spec:
    min_args: int
    max_args: int
    emit: Emit
    named: frozenset[str] = frozenset()


def arg(c: ExprCompiler, param: n.Param, kind: str | None = None) -> Typed:
    value = c.expr(param.expr)
    return value if kind is None else coerce(value, kind)


def constant(param: n.Param, *kinds: str) -> object:
    """The value of a literal parameter (a pattern, a format): the compiler needs it to build the SQL."""
    node = param.expr
    if isinstance(node, n.Literal) and node.kind in kinds:
        return node.value
    raise param.pos.error(f"Expected a {' or '.join(kinds)} literal but found '{node}'{{where}}")


MAX_OFFSET = 2**31 - 1  # string offsets and array indexes: past any real value, inside every engine's range


def bounded_long(c: ExprCompiler, param: n.Param, name: str) -> exp.Expression:
    """A long argument used as an offset or index, held to ±``MAX_OFFSET``: a literal past it is a
    positioned error; a computed value is clamped in SQL, so the engine never sees an out-of-range offset."""
    node = param.expr
    if isinstance(node, n.Literal) and isinstance(node.value, int) and node.kind == "long":
        if abs(node.value) > MAX_OFFSET:
            raise param.pos.error(f"{name} must be between -{MAX_OFFSET} and {MAX_OFFSET}{{where}}")
        return c.ctx.params.add(node.value, "BIGINT")
    value = arg(c, param, "long").sql
    limit = exp.Literal.number(MAX_OFFSET)
    low = exp.Neg(this=exp.Literal.number(MAX_OFFSET))
    return exp.Greatest(this=exp.Least(this=value, expressions=[limit]), expressions=[low])


def parse_timestamp(text: str, pos: n.Pos) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise pos.error(f"Invalid timestamp '{text}'{{where}}") from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def any_element(values: Typed, pred: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    var = exp.to_identifier("__e")
    hits = fn("list_filter", values.sql, exp.Lambda(this=pred(exp.column("__e")), expressions=[var]))
    return exp.GT(this=fn("len", hits), expression=exp.Literal.number(0))


def regex_escape(text: str) -> str:
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def simple(func: Callable[..., exp.Expression], kind: str | None, result: DType | None) -> Emit:
    """A one-to-one SQL function; ``result`` None means the type of the first argument."""

    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        values = [arg(c, p, kind) for p in args]
        sql = func(*[v.sql for v in values])
        return Typed(sql, result or (values[0].type if values else NULL))

    return emit


def anon(name: str) -> Callable[..., exp.Expression]:
    return lambda *a: fn(name, *a)


def unify(values: list[Typed]) -> tuple[list[Typed], DType]:
    """One type for values that share a column (coalesce, if, array): mixed kinds become strings."""
    known = [v for v in values if v.kind not in ("null", "json")]
    kinds = {v.kind for v in known}
    if not known:
        return values, values[0].type if values else NULL
    if len(kinds) == 1:
        target = known[0].type
    elif all(v.type.numeric for v in known):
        target = DOUBLE
    else:
        return [to_string(v) for v in values], STRING
    if target.kind in ("array", "record"):
        return values, target
    return [coerce(v, target.kind) for v in values], target


def to_string(value: Typed) -> Typed:
    if value.kind in ("string", "json", "null"):
        return coerce(value, "string")
    if value.kind == "timestamp":
        return Typed(fn("strftime", value.sql, sql_string("%Y-%m-%dT%H:%M:%S.%f000Z")), STRING)
    if value.kind in ("array", "record"):
        return Typed(cast(cast(value.sql, "JSON"), "VARCHAR"), STRING)
    return Typed(cast(value.sql, "VARCHAR"), STRING)
