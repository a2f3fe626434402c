"""The ``parse`` command: a pattern (``patterns.py``) applied to a string field, its exports added as fields.

A text the pattern does not match gives null in every exported field; a value an export cannot be converted
to (``INT:n`` over ``"x"``) gives null in that field.
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import constant, regex_escape
from threatlake.query.dtypes import (
    BOOLEAN,
    DOUBLE,
    JSON,
    LONG,
    STRING,
    TIMESTAMP,
    DType,
    Typed,
    array_of,
    record_of,
)
from threatlake.query.expressions import ExprCompiler, cast, coerce, fn, sql_string
from threatlake.query.frame import Ctx, Frame
from threatlake.query.patterns import MEMBER_TYPES, SCALARS, Matcher, PatternError, Text, parse_pattern
from threatlake.query.timeformat import java_format, java_regex

__all__ = ["parse_stage"]

MAX_EXPORTS = 9  # fields one sequence pattern exports (capture groups the engines extract by index)
_TYPES: dict[str, DType] = {"string": STRING, "long": LONG, "double": DOUBLE, "boolean": BOOLEAN}
_TYPES |= {"timestamp": TIMESTAMP, "json": JSON, "array": array_of(JSON)}
_SQL_ARRAYS = {"string": "VARCHAR[]", "long": "BIGINT[]", "double": "DOUBLE[]", "boolean": "BOOLEAN[]"}


class _At:
    """Positions inside the pattern literal, as line and column of the query."""

    def __init__(self, param: n.Param) -> None:
        pos = param.expr.pos
        self.pos = pos
        self.quote = 3 if pos.text.startswith(('"""', "'''")) else 1

    def error(self, message: str, offset: int) -> Exception:
        where = n.Pos(self.pos.line, self.pos.column + self.quote + offset, self.pos.text)
        return where.error(message + "{where}")


def parse_stage(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    params = cmd.positional()
    if len(params) != 2:
        raise cmd.pos.error('parse needs a field and a pattern, like parse dt.raw_data, "JSON:raw"{where}')
    at = _At(params[1])
    try:
        items = parse_pattern(str(constant(params[1], "string")))
        subject = coerce(ExprCompiler(ctx, frame).compile(params[0].expr), "string")
        first = items[0]
        if isinstance(first, Matcher) and first.name.startswith("JSON"):
            fields = _json(first, subject.sql, ctx)
        else:
            fields = _sequence(items, subject.sql, ctx)
    except PatternError as error:
        raise at.error(error.message, error.offset) from None
    compiler = ExprCompiler(ctx, frame)
    if (prerequisite_p := cmd.named("parsingPrerequisite")) is not None:  # parse only where it holds
        condition = compiler.condition(prerequisite_p.expr)
        fields = {
            k: Typed(exp.Case(ifs=[exp.If(this=condition.copy(), true=v.sql)]), v.type)
            for k, v in fields.items()
        }
    preserve_p = cmd.named("preserveFieldsOnFailure")
    if preserve_p is not None and constant(
        preserve_p, "boolean"
    ):  # a field the parse leaves null keeps its value
        fields = {k: _preserved(compiler, k, v) for k, v in fields.items()}
    cols = {**frame.cols, **fields}
    return frame.replace(cols=cols, dropped=frame.dropped - set(fields))


def _preserved(compiler: ExprCompiler, name: str, value: Typed) -> Typed:
    before = compiler.frame.cols.get(name)
    if before is None and compiler.frame.extra is None:
        return value
    old = before if before is not None else compiler.lookup(name, n.Pos(0, 0, name))
    if old.kind != value.kind:
        old = coerce(old, value.kind) if old.kind == "json" else old
    if old.kind != value.kind:
        return value
    return Typed(exp.Coalesce(this=value.sql, expressions=[old.sql]), value.type)


def _named(matcher: Matcher) -> str:
    if matcher.export is None:
        raise PatternError(f"Name what {matcher.name} matches, like {matcher.name}:name", matcher.offset)
    return matcher.export


def _member(doc: exp.Expression, member: Matcher, ctx: Ctx) -> Typed:
    """One member of a JSON object, converted to its matcher's type (null when it is not one)."""
    if member.members and member.name != "JSON_ARRAY":
        raise PatternError(
            "Nested member lists are not supported; read nested members with [key]", member.offset
        )
    key = _named(member).replace("\\", "\\\\").replace('"', '\\"')
    value = exp.JSONExtract(this=doc.copy(), expression=ctx.params.add(f'$."{key}"'))
    if member.name == "JSON_ARRAY":
        return _array(value, member)
    kind = MEMBER_TYPES[member.name]
    return coerce(Typed(value, JSON), kind) if kind != "json" else Typed(value, JSON)


def _array(doc: exp.Expression, matcher: Matcher) -> Typed:
    item = MEMBER_TYPES[matcher.members[0].name] if matcher.members else "json"
    if matcher.config.get("typed") == "true" and item in _SQL_ARRAYS:
        return Typed(cast(doc, _SQL_ARRAYS[item]), array_of(_TYPES[item]))
    return Typed(cast(doc, "JSON[]"), array_of(JSON))


def _json(matcher: Matcher, text: exp.Expression, ctx: Ctx) -> dict[str, Typed]:
    doc = cast(text, "JSON")  # invalid JSON gives null
    if matcher.name == "JSON_ARRAY":
        return {_named(matcher): _array(doc, matcher)}
    if matcher.name == "JSON_VALUE":
        return {_named(matcher): Typed(doc, JSON)}
    if not matcher.members:
        is_object = exp.EQ(this=exp.JSONType(this=doc.copy()), expression=sql_string("OBJECT"))
        return {_named(matcher): Typed(exp.Case(ifs=[exp.If(this=is_object, true=doc)]), JSON)}
    members = {_named(m): _member(doc, m, ctx) for m in matcher.members}
    if matcher.config.get("flat") == "true":
        return members
    items = [
        exp.PropertyEQ(this=exp.to_identifier(k, quoted=True), expression=v.sql) for k, v in members.items()
    ]
    record = record_of([(k, v.type) for k, v in members.items()])
    return {_named(matcher): Typed(exp.Struct(expressions=items), record)}


def _time_regex(fmt: str, offset: int) -> str:
    regex = java_regex(fmt, regex_escape)
    if isinstance(regex, int):
        letter = fmt[regex]
        raise PatternError(
            f"Unsupported timestamp format letter '{letter}' (quote literal text: '{letter}')", offset
        )
    return regex


def _sequence(items: list[Text | Matcher], text: exp.Expression, ctx: Ctx) -> dict[str, Typed]:
    """Matchers and literals → one regular expression anchored at the start; exports are its groups."""
    parts: list[str] = []
    exports: list[tuple[str, Matcher]] = []
    for index, item in enumerate(items):
        if isinstance(item, Text):
            parts.append(regex_escape(item.value))
            continue
        if item.name == "TIMESTAMP":
            regex = _time_regex(item.argument or "", item.offset)
        elif item.name in SCALARS:
            regex = SCALARS[item.name][0]
            if item.name in ("LD", "LDATA", "DATA") and index == len(items) - 1:
                regex = regex.replace("*?", "*")  # the last one takes the rest of the line
        else:
            raise PatternError(f"{item.name} is only supported inside JSON{{…}}", item.offset)
        if item.quantifier:
            regex = f"(?:{regex}){item.quantifier}"
        if item.export is not None:
            exports.append((item.export, item))
            regex = f"({regex})"
        parts.append(regex)
    if not exports:
        raise PatternError("The pattern exports no field; name one, like INT:count", 0)
    if len(exports) > MAX_EXPORTS:
        raise PatternError(f"A pattern exports at most {MAX_EXPORTS} fields", exports[MAX_EXPORTS][1].offset)
    pattern = ctx.params.add("^" + "".join(parts))
    matched = exp.RegexpLike(this=text.copy(), expression=pattern.copy())
    fields: dict[str, Typed] = {}
    for group, (name, matcher) in enumerate(exports, start=1):
        raw = exp.RegexpExtract(this=text.copy(), expression=pattern.copy(), group=exp.Literal.number(group))
        value = _convert(raw, matcher, ctx)
        fields[name] = Typed(exp.Case(ifs=[exp.If(this=matched.copy(), true=value.sql)]), value.type)
    return fields


def _convert(raw: exp.Expression, matcher: Matcher, ctx: Ctx) -> Typed:
    if matcher.name == "TIMESTAMP":
        spec = java_format(matcher.argument or "")
        fmt = ctx.params.add(spec)
        if "%z" not in spec:
            return Typed(fn("try_strptime", raw, fmt), TIMESTAMP)
        # an offset in the text (Z, +02:00): read it, and give the time in UTC as every timestamp is
        offset = fn("regexp_replace", raw, sql_string("Z$"), sql_string("+00:00"))
        return Typed(fn("timezone", sql_string("UTC"), fn("try_strptime", offset, fmt)), TIMESTAMP)
    kind = SCALARS[matcher.name][1]
    if kind == "string":
        return Typed(raw, STRING)
    return Typed(cast(raw, "BIGINT" if kind == "long" else "DOUBLE"), _TYPES[kind])
