"""ClickHouse lowering of DQL's dynamic values: JSON members, their text, casts to JSON, and records.

DuckDB is the reference dialect: a member a JSON document lacks is null, ``->> '$'`` of a JSON string is
its text and of JSON ``null`` is null, ``TRY_CAST`` of text that is not JSON is null, a value read as an
array when it holds none is null, and a record keeps every field name. ClickHouse answers differently
(``''`` for a missing member, a default for a failed extraction, arrays that cannot be null, tuples that
lose all their names when one name is not an identifier), so each emitter here writes the ClickHouse form
that gives DuckDB's answer. ``lower_node`` is the dialect's hook for tree nodes (the lowered node, or
``None`` for the generic rules); the functions named after DuckDB's are entries of its emitter table.
Leaf module: imports sqlglot (and ``clickhouse_extra``, the reads of the stored ``extra``) only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from sqlglot import exp

from threatlake.query.clickhouse_extra import extra_reads

__all__ = [
    "concat",
    "json_array_length",
    "json_casts",
    "json_keys",
    "json_merge_patch",
    "list_extract",
    "lower_node",
    "number_range",
    "record",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_T = exp.DataType.Type
Lowering = Callable[[exp.Expression], exp.Expression]


def _f(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _text(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def _key(path: exp.Expression) -> exp.Expression:
    """The member name of a compiled path ``$."name"``: its tail from the quote is a JSON string literal
    (the compiler escapes ``\\`` and ``"`` as JSON does; DuckDB reads the path the same way)."""
    return _f("JSONExtractString", _f("substring", path, exp.Literal.number(3)))


def _member(node: exp.Expression) -> exp.Expression | None:
    """``doc -> '$."k"'``: the member's JSON text, null when the document lacks it (``JSONExtractRaw``
    answers ``''`` then, which no present member's text is)."""
    assert isinstance(node, exp.JSONExtract)
    path = node.expression
    if isinstance(path, exp.JSONPath):  # a literal path sqlglot itself translates
        return None
    return _f("nullIf", _f("JSONExtractRaw", node.this, _key(path)), _text(""))


def _unwrapped(node: exp.Expression) -> exp.Expression | None:
    """``value ->> '$'``: a JSON string's text, null for JSON ``null`` (and SQL null), else the JSON text."""
    assert isinstance(node, exp.JSONExtractScalar)
    path = node.expression
    if not (isinstance(path, exp.JSONPath) and [type(p) for p in path.expressions] == [exp.JSONPathRoot]):
        return None
    value: exp.Expression = node.this
    is_string = exp.EQ(this=_f("JSONType", value.copy()), expression=_text("String"))
    other = _f("nullIf", value.copy(), _text("null"))
    return _f("if", is_string, _f("JSONExtractString", value), other)


def _names_valid(node: exp.Struct) -> bool:
    return all(
        not isinstance(item, exp.PropertyEQ) or _IDENTIFIER.match(item.name) for item in node.expressions
    )


def _quoted(name: str) -> str:
    """``name`` as a back-quoted identifier inside a ClickHouse type name."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def record(node: exp.Expression) -> exp.Expression:
    """A record literal → a named tuple. ``tuple(v AS name, …)`` names its elements only when every name
    is an identifier (a dotted DQL name is not: ClickHouse then drops all the names), so a record with such a
    name is cast to its named tuple type, spelled from each value's ``toTypeName`` (a constant)."""
    assert isinstance(node, exp.Struct)
    names: list[str] = []
    values: list[exp.Expression] = []
    for item in node.expressions:
        if isinstance(item, exp.PropertyEQ):
            names.append(item.name)
            values.append(item.expression)
        else:
            names.append(item.alias_or_name)
            values.append(item)
    if _names_valid(node):
        parts = [
            exp.Alias(this=value, alias=exp.to_identifier(name, quoted=True))
            if isinstance(item, exp.PropertyEQ)
            else value
            for item, name, value in zip(node.expressions, names, values, strict=True)
        ]
        return _f("tuple", *parts)
    spelled: list[exp.Expression] = [_text("Tuple(")]
    for index, (name, value) in enumerate(zip(names, values, strict=True)):
        spelled += [_text((", " if index else "") + _quoted(name) + " "), _f("toTypeName", value.copy())]
    spelled.append(_text(")"))
    return _f("CAST", _f("tuple", *values), _f("concat", *spelled))


def _json_text(node: exp.Expression) -> exp.Expression:
    """``TRY_CAST(x AS JSON)``: text that is JSON stays as it is, any other text is null. Under a cast to
    text (``toString`` of an array or a record) the value is serialized instead."""
    assert isinstance(node, exp.TryCast)
    value: exp.Expression = node.this
    if _under_text(node):
        return _f("toJSONString", value)
    return _f("if", _f("isValidJSON", value.copy()), value, exp.Null())


def _json_array(node: exp.Expression) -> exp.Expression:
    """``TRY_CAST(x AS JSON[])``: the elements' JSON texts; ``[]`` when x holds no array (ClickHouse arrays
    cannot be null: ``json_array_length`` gives the null length DuckDB gives then)."""
    assert isinstance(node, exp.TryCast)
    return _f("JSONExtractArrayRaw", _f("ifNull", node.this, _text("")))


#: Element types of a typed JSON array (``parse … "JSON_ARRAY{INT}(typed=true)"``) → ClickHouse's.
_ELEMENTS = {
    _T.VARCHAR: "String",
    _T.TEXT: "String",
    _T.BIGINT: "Int64",
    _T.DOUBLE: "Float64",
    _T.BOOLEAN: "Bool",
}


def _typed_json_array(element: str) -> Lowering:
    """``TRY_CAST(json AS T[])``: each element converted, null where it is not one (as DuckDB's cast);
    ``[]`` when the value holds no array."""

    def emit(node: exp.Expression) -> exp.Expression:
        target = _text(f"Array(Nullable({element}))")
        return _f("JSONExtract", _f("ifNull", node.this, _text("")), target)

    return emit


def _json_object(node: exp.Expression) -> exp.Expression:
    """``to_json(map_from_entries(entries))`` of JSON values (what ``fieldsFlatten`` builds): one JSON
    object of each entry's key and its value's JSON text (a ClickHouse map would quote the texts)."""
    entries = node.expressions[0].expressions[0]
    kv = exp.column("__kv")
    member = _f(
        "concat",
        _f("toJSONString", _f("tupleElement", kv.copy(), exp.Literal.number(1))),
        _text(":"),
        _f("ifNull", _f("tupleElement", kv.copy(), exp.Literal.number(2)), _text("null")),
    )
    members = _f("arrayMap", exp.Lambda(this=member, expressions=[kv.this.copy()]), entries)
    return _f("concat", _text("{"), _f("arrayStringConcat", members, _text(",")), _text("}"))


def _kept(node: exp.Expression) -> exp.Expression:
    return node


def _inner(node: exp.Expression) -> exp.Expression:
    inner: exp.Expression = node.this
    return inner


def _holds_json(node: exp.Expression) -> bool:
    """Whether a node, as the compiler built it (before lowering), gives JSON text."""
    if isinstance(node, exp.Paren):
        return _holds_json(node.this)
    if isinstance(node, exp.JSONExtract):
        return True
    if isinstance(node, exp.Cast):  # TRY_CAST too
        return bool(node.args["to"].is_type(_T.JSON))
    if isinstance(node, exp.Case):
        branches = [branch.args["true"] for branch in node.args.get("ifs") or []]
        branches += [node.args["default"]] if node.args.get("default") is not None else []
        return all(_holds_json(b) or isinstance(b, exp.Null) for b in branches) and any(
            map(_holds_json, branches)
        )
    return False


def _member_value(item: exp.Expression) -> exp.Expression:
    value: exp.Expression = item.expression if isinstance(item, exp.PropertyEQ) else item
    return value


def _record_text(json_members: frozenset[int]) -> Lowering:
    """``toString`` of a record with dynamic members: one JSON object, the members' JSON texts in it as
    they are (``toJSONString`` of the tuple would quote them), the others serialized."""

    def emit(node: exp.Expression) -> exp.Expression:
        parts = [_text("{")]
        for index, item in enumerate(node.expressions):
            name = item.name if isinstance(item, exp.PropertyEQ) else item.alias_or_name
            value = _member_value(item)
            text = _f("ifNull", value, _text("null")) if index in json_members else _f("toJSONString", value)
            parts += [_text(("," if index else "") + json.dumps(name, ensure_ascii=False) + ":"), text]
        parts.append(_text("}"))
        return _f("concat", *parts)

    return emit


def _under_text(node: exp.Expression) -> bool:
    parent = node.parent
    return isinstance(parent, exp.Cast) and bool(parent.args["to"].is_type(*exp.DataType.TEXT_TYPES))


def json_casts(tree: exp.Expression, values: Sequence[object] = ()) -> dict[int, Lowering]:
    """The nodes of ``tree`` whose ClickHouse form depends on what they were before the walk lowers their
    parts (JSON types become String; DuckDB function names ClickHouse's), each with its emitter; with the
    bound ``values``, the member reads of the stored ``extra`` too (``clickhouse_extra.py``: its maps)."""
    found: dict[int, Lowering] = extra_reads(tree, values)
    for node in tree.find_all(exp.TryCast, exp.Anonymous):
        if isinstance(node, exp.Anonymous):
            inner = node.expressions[0] if len(node.expressions) == 1 else None
            if (
                node.name == "to_json"
                and isinstance(inner, exp.Anonymous)
                and inner.name == "map_from_entries"
            ):
                found[id(node)] = _json_object
                found[id(inner)] = _kept  # read by its parent's emitter as it is
            continue
        assert isinstance(node, exp.TryCast)
        to = node.args["to"]
        value = node.this
        dynamic = (
            [i for i, item in enumerate(value.expressions) if _holds_json(_member_value(item))]
            if isinstance(value, exp.Struct) and _under_text(node)
            else []
        )
        if to.is_type(_T.JSON) and dynamic:
            found[id(value)] = _record_text(frozenset(dynamic))
            found[id(node)] = _inner  # the record's text is JSON already
        elif to.is_type(_T.JSON) and _holds_json(value) and not _under_text(node):
            found[id(node)] = _inner  # JSON already: nothing to check
        elif to.is_type(_T.JSON):
            found[id(node)] = _json_text
        elif to.is_type(_T.ARRAY) and len(to.expressions) == 1 and to.expressions[0].is_type(_T.JSON):
            found[id(node)] = _json_array
        elif to.is_type(_T.ARRAY) and len(to.expressions) == 1 and _holds_json(value):
            element = _ELEMENTS.get(to.expressions[0].this)
            if element is not None:
                found[id(node)] = _typed_json_array(element)
    return found


def json_keys(args: list[exp.Expression]) -> exp.Expression:
    """An object's keys (``[]`` for null: ClickHouse's JSONExtractKeys takes no Nullable)."""
    return _f("JSONExtractKeys", *(_f("ifNull", arg, _text("")) for arg in args[:1]), *args[1:])


def json_array_length(args: list[exp.Expression]) -> exp.Expression | None:
    """``len(TRY_CAST(x AS JSON[]))`` is null when x holds no array, as in DuckDB."""
    array = args[0] if args else None
    if not (isinstance(array, exp.Anonymous) and array.name == "JSONExtractArrayRaw"):
        return None
    holds = exp.EQ(this=_f("JSONType", array.expressions[0].copy()), expression=_text("Array"))
    return _f("if", holds, _f("length", array), exp.Null())


def json_merge_patch(args: list[exp.Expression]) -> exp.Expression:
    """DuckDB's ``json_merge_patch(doc, patch)``: a null patch gives null, a null doc counts as ``{}``
    (ClickHouse's refuses an empty document: an event without other fields stores ``''`` or null)."""
    doc, patch = args[0], args[1]
    base = _f("ifNull", _f("nullIf", doc, _text("")), _text("{}"))
    merged = _f("jsonMergePatch", base, patch.copy())
    return _f("if", exp.Is(this=patch, expression=exp.Null()), exp.Null(), merged)


def number_range(args: list[exp.Expression]) -> exp.Expression:
    """``range(1, len(a) + 1)``, the indexes of an iteration: none when the length is null (a dynamic value
    holding no array; ClickHouse's ``range`` refuses null)."""
    if len(args) < 2 or args[1].find(exp.Null) is None:  # no null length: an array column's
        return _f("range", *args)
    return _f("range", args[0], _f("ifNull", args[1], args[0].copy()), *args[2:])


def concat(args: list[exp.Expression]) -> exp.Expression:
    """DuckDB's ``concat`` skips null parts (ClickHouse's gives null)."""
    return _f("concat", *(_f("ifNull", arg, _text("")) for arg in args))


def list_extract(args: list[exp.Expression]) -> exp.Expression:
    """An element out of range (or at 0) is null, as in DuckDB (``arrayElement`` gives a default)."""
    return _f("arrayElementOrNull", *args)


_NODES: dict[type[exp.Expression], Callable[[exp.Expression], exp.Expression | None]] = {
    exp.JSONExtract: _member,
    exp.JSONExtractScalar: _unwrapped,
    exp.Struct: record,
}


def lower_node(node: exp.Expression) -> exp.Expression | None:
    """The ClickHouse form of a dynamic-value node, or ``None`` when the generic rules lower it."""
    emit = _NODES.get(type(node))
    return emit(node) if emit is not None else None
