"""String functions: case-sensitive tests unless ``caseSensitive:false``; matchesValue and matchesPhrase
are case-insensitive patterns (bound as parameters)."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import (
    MANY,
    Emit,
    Spec,
    anon,
    any_element,
    arg,
    bounded_long,
    constant,
    regex_escape,
    simple,
    to_string,
)
from threatlake.query.dtypes import (
    BOOLEAN,
    JSON,
    LONG,
    STRING,
    Typed,
    array_of,
)
from threatlake.query.expressions import ExprCompiler, cast, coerce, fn, paren
from threatlake.query.operators import as_json_array, holds_array, in_list

__all__ = ["STRINGS"]


def _case_flag(named: dict[str, n.Param]) -> bool:
    param = named.get("caseSensitive")
    return True if param is None else bool(constant(param, "boolean"))


def _string_test(func: str) -> Emit:
    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        subject, needle = c.expr(args[0].expr), arg(c, args[1], "string").sql
        sensitive = _case_flag(named)

        def test(value: exp.Expression) -> exp.Expression:
            if sensitive:
                return fn(func, value, needle.copy())
            return fn(func, exp.Lower(this=value), exp.Lower(this=needle.copy()))

        if subject.kind == "array":
            return Typed(any_element(subject, test), BOOLEAN)
        return Typed(test(coerce(subject, "string").sql), BOOLEAN)

    return emit


def _matches(build: Callable[[str], str]) -> Emit:
    """matchesValue / matchesPhrase: case-insensitive, the pattern turned into an RE2 expression (bound)."""

    def emit(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
        subject = c.expr(args[0].expr)
        texts = args[1].expr.params if isinstance(args[1].expr, n.Group) else (args[1],)
        if not texts:
            raise args[1].pos.error(f"{call.name} needs at least one pattern{{where}}")
        # several patterns ({"a*", "b*"}) match when any does: one alternation, bound as one parameter
        regex = "|".join(f"(?:{build(str(constant(p, 'string')))})" for p in texts)
        pattern = c.ctx.params.add(regex if len(texts) > 1 else build(str(constant(texts[0], "string"))))
        if subject.kind == "json":  # a dynamic value: any element when it holds an array at run time
            elements = any_element(
                as_json_array(subject), lambda v: _match(coerce(Typed(v, JSON), "string").sql, pattern)
            )
            single = _match(coerce(subject, "string").sql, pattern)
            is_array = holds_array(subject)
            return Typed(exp.Case(ifs=[exp.If(this=is_array, true=elements)], default=single), BOOLEAN)
        if subject.kind == "array":
            return Typed(any_element(subject, lambda v: _match(v, pattern)), BOOLEAN)
        return Typed(_match(coerce(subject, "string").sql, pattern), BOOLEAN)

    return emit


def _match(value: exp.Expression, pattern: exp.Expression) -> exp.Expression:
    return exp.RegexpLike(this=value, expression=pattern.copy())


def _value_regex(pattern: str) -> str:
    return "(?is)^" + ".*".join(regex_escape(part) for part in pattern.split("*")) + "$"


def _phrase_regex(phrase: str) -> str:
    return r"(?is)(?:^|[^\pL\pN_])" + regex_escape(phrase) + r"(?:$|[^\pL\pN_])"


def _concat(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    parts = [to_string(arg(c, p)).sql for p in args]
    return Typed(fn("concat", *parts), STRING)


def _substring(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    text = arg(c, args[0], "string").sql
    start_p = named.get("from") or (args[1] if len(args) > 1 else None)
    end_p = named.get("to") or (args[2] if len(args) > 2 else None)
    start = bounded_long(c, start_p, "from") if start_p else exp.Literal.number(0)
    one = exp.Add(this=paren(start), expression=exp.Literal.number(1))
    if end_p is None:
        return Typed(fn("substring", text, one), STRING)
    length = exp.Sub(this=paren(bounded_long(c, end_p, "to")), expression=paren(start.copy()))
    return Typed(fn("substring", text, one, length), STRING)


def _index_of(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    text, needle = arg(c, args[0], "string").sql, arg(c, args[1], "string").sql
    return Typed(
        cast(exp.Sub(this=fn("strpos", text, needle), expression=exp.Literal.number(1)), "BIGINT"), LONG
    )


def _lower_upper(klass: type[exp.Lower | exp.Upper]) -> Emit:
    def build(value: exp.Expression) -> exp.Expression:
        return klass(this=value)

    return simple(build, "string", STRING)


def _in(c: ExprCompiler, call: n.Call, args: list[n.Param], named: dict[str, n.Param]) -> Typed:
    value = arg(c, args[0])
    for p in args[1].expr.params if len(args) == 2 and isinstance(args[1].expr, n.Group) else args[1:]:
        c.ctx.note_bucket(args[0].expr, p.expr)
    if len(args) == 2:
        return in_list(c, value, args[1].expr)
    return in_list(c, value, n.Group(call.pos, tuple(args[1:])))


STRINGS: dict[str, Spec] = {
    "contains": Spec(2, 2, _string_test("contains"), frozenset({"caseSensitive"})),
    "startsWith": Spec(2, 2, _string_test("starts_with"), frozenset({"caseSensitive"})),
    "endsWith": Spec(2, 2, _string_test("ends_with"), frozenset({"caseSensitive"})),
    "matchesPhrase": Spec(2, 2, _matches(_phrase_regex), frozenset({"caseSensitive"})),
    "matchesValue": Spec(2, 2, _matches(_value_regex), frozenset({"caseSensitive"})),
    "lower": Spec(1, 1, _lower_upper(exp.Lower)),
    "upper": Spec(1, 1, _lower_upper(exp.Upper)),
    "concat": Spec(1, MANY, _concat),
    "substring": Spec(1, 3, _substring, frozenset({"from", "to"})),
    "stringLength": Spec(1, 1, simple(lambda v: cast(fn("length", v), "BIGINT", safe=False), "string", LONG)),
    "splitString": Spec(2, 2, simple(anon("string_split"), "string", array_of(STRING))),
    "trim": Spec(1, 1, simple(anon("trim"), "string", STRING)),
    "replaceString": Spec(3, 3, simple(anon("replace"), "string", STRING)),
    "indexOf": Spec(2, 2, _index_of),
    "in": Spec(2, MANY, _in),
}
