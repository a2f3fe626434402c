"""Binary operators: a table DQL operator → emitter. Comparisons are three-valued (SQL's own); long / long
is integer division; division by zero gives null."""

from __future__ import annotations

from collections.abc import Callable

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
    TIMESTAMP,
    DType,
    Typed,
    array_of,
)
from threatlake.query.expressions import ExprCompiler, cast, coerce, common, fn, operand, paren

__all__ = ["BINARY", "arithmetic", "as_json_array", "compare_elements", "holds_array", "in_list"]

COMPARE: dict[str, type[exp.Expression]] = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE}
COMPARE |= {">": exp.GT, ">=": exp.GTE}


def _chain(node: n.Binary) -> list[n.Expr]:
    """The operands of a left-associative chain of one operator (``a or b or c``), without recursion."""
    operands: list[n.Expr] = []
    left: n.Expr = node
    while isinstance(left, n.Binary) and left.op == node.op:
        operands.append(left.right)
        left = left.left
    operands.append(left)
    return operands[::-1]


def _logic(c: ExprCompiler, node: n.Binary) -> Typed:
    if node.op == "xor":
        left = coerce(c.expr(node.left), "boolean").sql
        right = coerce(c.expr(node.right), "boolean").sql
        return Typed(exp.NEQ(this=operand(left), expression=operand(right)), BOOLEAN)
    klass = exp.And if node.op == "and" else exp.Or
    tree: exp.Expression | None = None
    for part in _chain(node):  # a long chain compiles in a loop: no recursion per operand
        sql = _grouped(coerce(c.expr(part), "boolean").sql)
        tree = sql if tree is None else klass(this=tree, expression=sql)
    assert tree is not None
    return Typed(tree, BOOLEAN)


def _grouped(node: exp.Expression) -> exp.Expression:
    return exp.Paren(this=node) if isinstance(node, exp.Connector) else node


def _compare(c: ExprCompiler, node: n.Binary) -> Typed:
    if node.op == "==":
        c.ctx.note_bucket(node.left, node.right)
        c.ctx.note_bucket(node.right, node.left)
    left, right = c.expr(node.left), c.expr(node.right)
    if (left.kind == "array") != (right.kind == "array") and "null" not in (left.kind, right.kind):
        return compare_elements(node.op, left, right)
    if (left.kind == "json") != (right.kind == "json") and _scalar(right if left.kind == "json" else left):
        return _compare_dynamic(node.op, left, right)
    left, right = common(left, right)
    return Typed(COMPARE[node.op](this=operand(left.sql), expression=operand(right.sql)), BOOLEAN)


def _scalar(value: Typed) -> bool:
    return value.kind not in ("array", "record", "null", "json")


def _compare_dynamic(op: str, left: Typed, right: Typed) -> Typed:
    """A dynamic (JSON) value against a single value: as an array when it holds one at run time (any
    element), else as a value of the other side's type (null when it is not one)."""
    dynamic = left if left.kind == "json" else right
    a, b = common(left, right)
    single = COMPARE[op](this=operand(a.sql), expression=operand(b.sql))
    array = as_json_array(dynamic)
    elements = compare_elements(op, *((array, right) if dynamic is left else (left, array))).sql
    return Typed(exp.Case(ifs=[exp.If(this=holds_array(dynamic), true=elements)], default=single), BOOLEAN)


def holds_array(value: Typed) -> exp.Expression:
    """True when a dynamic (JSON) value holds an array at run time."""
    return exp.EQ(this=exp.JSONType(this=value.sql.copy()), expression=exp.Literal.string("ARRAY"))


def as_json_array(value: Typed) -> Typed:
    """A dynamic (JSON) value read as an array of JSON values: null when at run time it is not an array."""
    return Typed(cast(value.sql, "JSON[]"), array_of(JSON))


def compare_elements(op: str, left: Typed, right: Typed) -> Typed:
    """An array compared with a single value: true when any element compares true (``!=``: when none is
    equal), null for a null array; a dynamic (JSON) side is read as an array of JSON values."""
    array, value, flipped = (left, right, False) if left.kind == "array" else (right, left, True)
    if value.kind == "json" and array.type.item is not None and array.type.item.kind != "json":
        value = coerce(value, array.type.item.kind)
    klass = COMPARE["==" if op == "!=" else op]

    def test(element: exp.Expression) -> exp.Expression:
        item, other = common(Typed(element, array.type.item or NULL), value)
        a, b = (other.sql.copy(), item.sql) if flipped else (item.sql, other.sql.copy())
        return klass(this=operand(a), expression=operand(b))

    hits = fn("list_filter", array.sql, exp.Lambda(this=test(exp.column("__e")), expressions=[_E]))
    found = exp.GT(this=fn("len", hits), expression=exp.Literal.number(0))
    return Typed(exp.Not(this=exp.Paren(this=found)) if op == "!=" else found, BOOLEAN)


_E = exp.to_identifier("__e")


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
        if value.kind in ("array", "json"):  # an array is in the list when any element is
            compare = compare_elements if value.kind == "array" else _compare_dynamic
            tests = [compare("==", value, c.expr(p.expr)).sql for p in target.params]
            either: exp.Expression = exp.false()
            for i, test in enumerate(tests):
                either = test if i == 0 else exp.Or(this=either, expression=test)
            return Typed(either, BOOLEAN)
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
    if isinstance(node.right, n.Group):
        for p in node.right.params:
            c.ctx.note_bucket(node.left, p.expr)
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
        shifted = (exp.Add if op == "+" else exp.Sub)(this=a, expression=delta)
        return Typed(exp.Try(this=shifted), TIMESTAMP)  # past the timestamp range: null
    if lk == "duration" and rk == "timestamp" and op == "+":
        return arithmetic(op, right, left)
    if lk == "timestamp" and rk == "timestamp" and op == "-":
        between = exp.Sub(this=fn("epoch_ns", a), expression=fn("epoch_ns", b))
        return Typed(exp.Try(this=between), DURATION)  # nanoseconds past 2262: null
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
    elif result in (LONG, DURATION):
        node = exp.Try(this=node)  # past the range of a long: null, as a double's overflow is
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
