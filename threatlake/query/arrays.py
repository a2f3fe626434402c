"""Array, record and network functions; ``iAny``/``iAll`` iterate ``arr[]`` by index."""

from __future__ import annotations

import ipaddress

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import MANY, Emit, Spec, any_element, arg, constant, unify
from threatlake.query.dtypes import (
    BOOLEAN,
    LONG,
    NULL,
    STRING,
    Typed,
    array_of,
    record_of,
)
from threatlake.query.expressions import ExprCompiler, cast, coerce, fn, paren, sql_string
from threatlake.query.operators import as_json_array, holds_array

__all__ = ["ARRAYS", "NETWORK", "as_array"]


def as_array(value: Typed) -> Typed:
    return as_json_array(value) if value.kind == "json" else value


def _array(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    values, item = unify([arg(c, p) for p in args])
    return Typed(exp.Array(expressions=[v.sql for v in values]), array_of(item))


def record_fields(c: ExprCompiler, params: list[n.Param] | tuple[n.Param, ...]) -> list[tuple[str, Typed]]:
    out: list[tuple[str, Typed]] = []
    for p in params:
        name = p.alias or p.name or (p.expr.name if isinstance(p.expr, n.Field) else str(p.expr))
        out.append((name, c.expr(p.expr)))
    return out


def _record(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    fields = record_fields(c, call.params)
    if not fields:
        raise call.pos.error("record needs at least one field{where}")
    items = [exp.PropertyEQ(this=exp.to_identifier(k, quoted=True), expression=v.sql) for k, v in fields]
    return Typed(exp.Struct(expressions=items), record_of([(k, v.type) for k, v in fields]))


def _array_fn(name: str, item: bool = False) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        values = [as_array(arg(c, p)) for p in args]
        for v in values:
            if v.kind not in ("array", "null"):
                raise call.pos.error(f"{call.name} needs an array but found {v.kind}{{where}}")
        first = values[0]
        if name == "len":
            return Typed(cast(fn("len", first.sql), "BIGINT", safe=False), LONG)
        if name in {"first", "last"}:
            position = exp.Literal.number(1 if name == "first" else -1)
            return Typed(fn("list_extract", first.sql, position), first.type.item or NULL)
        if name == "concat":
            sql = first.sql
            for v in values[1:]:
                sql = fn("list_concat", sql, v.sql)
            return Typed(sql, first.type)
        if name == "nonnull":
            var = exp.to_identifier("__e")
            keep = exp.Not(this=exp.Is(this=exp.column("__e"), expression=exp.Null()))
            return Typed(fn("list_filter", first.sql, exp.Lambda(this=keep, expressions=[var])), first.type)
        if name == "list_distinct":
            return Typed(_first_occurrences(first.sql), first.type)
        return Typed(fn(name, first.sql), first.type)

    del item
    return emit


def _first_occurrences(array: exp.Expression) -> exp.Expression:
    """The distinct non-null elements in the order they first occur (``list_distinct`` keeps none)."""
    element, index = exp.column("__e"), exp.column("__i")
    first = exp.EQ(this=fn("list_position", array.copy(), element.copy()), expression=index)
    keep = exp.and_(exp.Not(this=exp.Is(this=element, expression=exp.Null())), first)
    lam = exp.Lambda(this=keep, expressions=[exp.to_identifier("__e"), exp.to_identifier("__i")])
    return fn("list_filter", array, lam)


def _iterative(any_: bool) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        body, iteration = c.iterate(args[0].expr)
        if not iteration.arrays:
            raise call.pos.error(
                f"{call.name} needs an expression over array elements, like arr[] == 1{{where}}"
            )
        pred = coerce(body, "boolean").sql
        if not any_:
            pred = exp.Not(this=exp.Coalesce(this=pred, expressions=[exp.false()]))
        hits = fn("len", c.over_elements("list_filter", iteration, pred))
        test = exp.GT if any_ else exp.EQ
        return Typed(test(this=hits, expression=exp.Literal.number(0)), BOOLEAN)

    return emit


_IPV4 = r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"


def _is_ipv4(value: exp.Expression) -> exp.Expression:
    return fn("regexp_full_match", value, sql_string(_IPV4))


def _ipv4_number(value: exp.Expression) -> exp.Expression:
    octets = fn("string_split", value, sql_string("."))
    as_long = exp.Lambda(this=cast(exp.column("__o"), "BIGINT"), expressions=[exp.to_identifier("__o")])
    fold = exp.Add(
        this=exp.Mul(this=exp.column("__a"), expression=exp.Literal.number(256)), expression=exp.column("__b")
    )
    reduce = exp.Lambda(this=fold, expressions=[exp.to_identifier("__a"), exp.to_identifier("__b")])
    return fn("list_reduce", fn("list_transform", octets, as_long), reduce)


def _ip_in(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    subject = c.expr(args[0].expr)
    ranges: list[tuple[int, int]] = []
    for p in args[1:]:
        text = str(constant(p, "string"))
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise p.pos.error(f"Invalid IP range '{text}'{{where}}") from None
        if network.version == 4:  # IPv6 ranges never match an IPv4 value; IPv6 values are not compared
            ranges.append((int(network.network_address), int(network.broadcast_address)))

    def test(value: exp.Expression) -> exp.Expression:
        if not ranges:
            return exp.false()
        number = _ipv4_number(value)
        tests = [
            exp.Between(
                this=number.copy(), low=c.ctx.params.add(lo, "BIGINT"), high=c.ctx.params.add(hi, "BIGINT")
            )
            for lo, hi in ranges
        ]
        either = tests[0] if len(tests) == 1 else exp.or_(*tests)
        return exp.Case(
            ifs=[exp.If(this=_is_ipv4(value.copy()), true=exp.Paren(this=either))], default=exp.false()
        )

    if subject.kind == "array":
        return Typed(any_element(subject, test), BOOLEAN)
    value = coerce(subject, "string").sql
    return Typed(
        exp.Case(
            ifs=[exp.If(this=exp.Is(this=paren(value), expression=exp.Null()), true=exp.Null())],
            default=test(value.copy()),
        ),
        BOOLEAN,
    )


def _ip(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = arg(c, args[0], "string").sql
    valid = exp.or_(_is_ipv4(value), fn("contains", value.copy(), sql_string(":")))
    return Typed(exp.Case(ifs=[exp.If(this=valid, true=value.copy())], default=exp.Null()), STRING)


def _is_ipv4_fn(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    return Typed(_is_ipv4(arg(c, args[0], "string").sql), BOOLEAN)


def _to_array(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    """An array stays itself; a single value becomes a one-element array; null stays null; a dynamic value
    is its array when it holds one at run time, else a one-element array."""
    value = arg(c, args[0])
    if value.kind in ("array", "null"):
        return value
    if value.kind == "json":
        is_array = holds_array(value)
        single = exp.Case(
            ifs=[exp.If(this=exp.Is(this=paren(value.sql.copy()), expression=exp.Null()), true=exp.Null())],
            default=exp.Array(expressions=[value.sql.copy()]),
        )
        arr = as_json_array(value)
        return Typed(exp.Case(ifs=[exp.If(this=is_array, true=arr.sql)], default=single), arr.type)
    single = exp.Case(
        ifs=[exp.If(this=exp.Is(this=paren(value.sql), expression=exp.Null()), true=exp.Null())],
        default=exp.Array(expressions=[value.sql.copy()]),
    )
    return Typed(single, array_of(value.type))


ARRAYS: dict[str, Spec] = {
    "array": Spec(0, MANY, _array),
    "record": Spec(0, MANY, _record),
    "arraySize": Spec(1, 1, _array_fn("len")),
    "arrayConcat": Spec(2, MANY, _array_fn("concat")),
    "arrayDistinct": Spec(1, 1, _array_fn("list_distinct")),
    "arrayRemoveNulls": Spec(1, 1, _array_fn("nonnull")),
    "arrayFirst": Spec(1, 1, _array_fn("first")),
    "arrayLast": Spec(1, 1, _array_fn("last")),
    "toArray": Spec(1, 1, _to_array),
    "iAny": Spec(1, 1, _iterative(any_=True)),
    "iAll": Spec(1, 1, _iterative(any_=False)),
}


NETWORK: dict[str, Spec] = {
    "ip": Spec(1, 1, _ip),
    "toIp": Spec(1, 1, _ip),
    "ipIn": Spec(2, MANY, _ip_in),
    "isIpv4": Spec(1, 1, _is_ipv4_fn),
}
