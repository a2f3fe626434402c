"""The scalar function table: DQL name → ``Spec`` (arity, named parameters, emitter), merged from one
table per topic. Every emitter has the shape ``(compiler, call, positional, named) -> Typed``; aggregation
functions live in ``aggregates.py``."""

from __future__ import annotations

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.arrays import ARRAYS, NETWORK
from threatlake.query.calls import MANY, Emit, Spec, arg, unify
from threatlake.query.dtypes import (
    BOOLEAN,
    NULL,
    Typed,
)
from threatlake.query.expressions import ExprCompiler, paren
from threatlake.query.numbers import NUMBERS
from threatlake.query.parser import did_you_mean
from threatlake.query.strings import STRINGS

__all__ = ["FUNCTIONS", "Spec", "lookup_function"]


def _if(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    cond = arg(c, args[0], "boolean").sql
    then = arg(c, args[1])
    other_param = named.get("else") or (args[2] if len(args) > 2 else None)
    other = arg(c, other_param) if other_param else Typed(exp.Null(), NULL)
    (then, other), result = unify([then, other])
    case = exp.Case(ifs=[exp.If(this=cond, true=then.sql)], default=other.sql)
    return Typed(case, result)


def _coalesce(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    values, target = unify([arg(c, p) for p in args])
    return Typed(exp.Coalesce(this=values[0].sql, expressions=[v.sql for v in values[1:]]), target)


def _null_test(negate: bool) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        test: exp.Expression = exp.Is(this=paren(arg(c, args[0]).sql), expression=exp.Null())
        return Typed(exp.Not(this=test) if negate else test, BOOLEAN)

    return emit


def _truth_or_null(default: bool) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        value = exp.Coalesce(this=arg(c, args[0], "boolean").sql, expressions=[exp.Boolean(this=default)])
        return Typed(value if default else exp.Not(this=value), BOOLEAN)

    return emit


CONDITIONALS: dict[str, Spec] = {
    "if": Spec(2, 3, _if, frozenset({"else"})),
    "coalesce": Spec(1, MANY, _coalesce),
    "isNull": Spec(1, 1, _null_test(negate=False)),
    "isNotNull": Spec(1, 1, _null_test(negate=True)),
    "exists": Spec(1, 1, _null_test(negate=True)),
    "isTrueOrNull": Spec(1, 1, _truth_or_null(default=True)),
    "isFalseOrNull": Spec(1, 1, _truth_or_null(default=False)),
}

FUNCTIONS: dict[str, Spec] = {**CONDITIONALS, **STRINGS, **NUMBERS, **ARRAYS, **NETWORK}


def lookup_function(call: n.Call) -> tuple[Spec, bool]:
    """The spec for ``call`` and whether it aggregates; an unknown name fails with a suggestion."""
    from threatlake.query.aggregates import AGGREGATES

    for table, aggregate in ((FUNCTIONS, False), (AGGREGATES, True)):
        spec = table.get(call.name)
        if spec is not None:
            return spec, aggregate
    lowered = call.name.lower()
    for table, aggregate in ((FUNCTIONS, False), (AGGREGATES, True)):
        for name, spec in table.items():
            if name.lower() == lowered:
                return spec, aggregate
    hint = did_you_mean(call.name, [*FUNCTIONS, *AGGREGATES])
    raise call.pos.error(f"Unknown function '{call.name}'{{where}}{hint}")
