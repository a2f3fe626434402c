"""ClickHouse reads of ``extra``'s members through its typed maps and promoted columns.

On ClickHouse the stored ``extra`` JSON has beside it four maps of its scalar members (``extra_string``,
``extra_long``, ``extra_double``, ``extra_bool``, materialized from it on insert:
``store/clickhouse/extra.py``) and a column per promoted key (``PROMOTED_EXTRA``: the member's JSON
text). A member read straight from the stored column (``extra -> '$."k"'`` in a statement over
``events``) reads them instead of parsing the whole document per row:

- a promoted key reads its column, which holds exactly what the JSON path reads;
- any other key reads the map that holds it, and the JSON text only when none does (nulls, arrays,
  objects, integers beyond ``Int64``).

Every form gives the JSON path's exact answer: the member's JSON text (a string re-encoded by
``toJSONString``, each ``\\/`` written ``/``, as ``JSONExtractRaw`` writes it; a number is in a map only
when the map's value prints as the text ``JSONExtractRaw`` gives), its text as a string (``->> '$'``), its
JSON type and its number (``TRY_CAST(… AS DOUBLE)``) each straight from the map; a promoted column's plain
string is read between its quotes. ``extra_reads`` finds these reads in a compiled tree (before lowering),
each with its emitter; a member read anywhere else (a document built by ``fieldsFlatten``, a parsed value,
a later ``SELECT``'s ``__extra__``) keeps the JSON path.
Leaf module: imports sqlglot and the field catalogue's names only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from threatlake.model.fields import EXTRA_MAPS, PROMOTED_EXTRA

__all__ = ["extra_reads"]

Lowering = Callable[[exp.Expression], exp.Expression]
_STORED = "extra"  # the stored column (``query/fetch.py``); later statements read it as ``__extra__``
_T = exp.DataType.Type


def _f(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _text(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def _stored_key(node: exp.Expression, values: Sequence[object]) -> str | None:
    """The key of ``extra -> '$."key"'`` read from the stored column with a bound path, else None."""
    if not isinstance(node, exp.JSONExtract):
        return None
    doc, path = node.this, node.expression
    if not (isinstance(doc, exp.Column) and doc.name == _STORED and not doc.table):
        return None
    if not (isinstance(path, exp.Placeholder) and str(path.this).isdigit()):
        return None
    number = int(path.this)
    value = values[number - 1] if 0 < number <= len(values) else None
    if not isinstance(value, str) or not value.startswith('$."'):
        return None
    try:
        key = json.loads(value[2:])
    except ValueError:
        return None
    return key if isinstance(key, str) else None


@dataclass(slots=True)
class _Read:
    """One member read; ``key`` is the lowered key expression, set when the member itself is lowered
    (children are lowered first, so its parents' emitters find it set)."""

    column: str | None  # a promoted key's column
    key: exp.Expression = field(default_factory=exp.Null)

    def has(self, kind: str) -> exp.Expression:
        return _f("mapContains", exp.column(EXTRA_MAPS[kind], quoted=True), self.key.copy())

    def get(self, kind: str) -> exp.Expression:
        return _f("arrayElement", exp.column(EXTRA_MAPS[kind], quoted=True), self.key.copy())

    def json(self) -> exp.Expression:
        """The member's JSON text from the document, null when it lacks the key."""
        raw = _f("JSONExtractRaw", exp.column(_STORED, quoted=True), self.key.copy())
        return _f("nullIf", raw, _text(""))

    def scalars(self, string: exp.Expression, fallback: exp.Expression) -> exp.Expression:
        """``string`` for a member in the string map, a number's and a boolean's JSON text, else
        ``fallback``."""
        boolean = _f("if", self.get("boolean"), _text("true"), _text("false"))
        return _f(
            "multiIf",
            self.has("string"),
            string,
            self.has("long"),
            _f("toString", self.get("long")),
            self.has("double"),
            _f("toString", self.get("double")),
            self.has("boolean"),
            boolean,
            fallback,
        )

    def member(self, node: exp.Expression) -> exp.Expression:
        """``extra -> '$."k"'``: the member's JSON text (``JSONExtractRaw``'s), null when missing."""
        assert isinstance(node, exp.JSONExtract)
        self.key = _f("JSONExtractString", _f("substring", node.expression, exp.Literal.number(3)))
        if self.column is not None:
            return exp.column(self.column, quoted=True)
        string = _f("replaceAll", _f("toJSONString", self.get("string")), _text("\\/"), _text("/"))
        return self.scalars(string, self.json())

    def unwrapped(self, node: exp.Expression) -> exp.Expression:
        """``member ->> '$'``: a string's text, a scalar's JSON text, null for JSON ``null``."""
        if self.column is not None:
            return _promoted_text(exp.column(self.column, quoted=True))
        return self.scalars(self.get("string"), _unwrapped(self.json()))

    def json_type(self, node: exp.Expression) -> exp.Expression:
        """``JSON_TYPE(member)`` as the dialect writes it (``UPPER(toString(JSONType(v)))``)."""
        if self.column is not None:  # a promoted column: a string's JSON text starts with its quote
            column = exp.column(self.column, quoted=True)
            from_column = exp.Upper(this=_f("toString", _f("JSONType", column.copy())))
            return _f("if", _f("startsWith", column, _text('"')), _text("STRING"), from_column)
        from_json = exp.Upper(this=_f("toString", _f("JSONType", self.json())))
        return _f(
            "multiIf",
            self.has("string"),
            _text("STRING"),
            self.has("long"),
            _text("INT64"),
            self.has("double"),
            _text("DOUBLE"),
            self.has("boolean"),
            _text("BOOL"),
            from_json,
        )

    def number(self, node: exp.Expression) -> exp.Expression:
        """``TRY_CAST(member ->> '$' AS DOUBLE)``: a number map's value, else the cast of the text."""
        assert isinstance(node, exp.TryCast)
        target = node.args["to"].sql("clickhouse")
        cast = _f("accurateCastOrNull", node.this, _text(target))
        long = _f("toFloat64", self.get("long"))
        return _f("multiIf", self.has("double"), self.get("double"), self.has("long"), long, cast)


def _unwrapped(value: exp.Expression) -> exp.Expression:
    """``->> '$'`` of JSON text: a string's text, null for ``null``, any other value's JSON text."""
    is_string = exp.EQ(this=_f("JSONType", value.copy()), expression=_text("String"))
    return _f("if", is_string, _f("JSONExtractString", value.copy()), _f("nullIf", value, _text("null")))


def _promoted_text(column: exp.Expression) -> exp.Expression:
    """``->> '$'`` of a promoted column: a JSON string without escapes is its text between the quotes (no
    parse); anything else as ``_unwrapped``."""
    plain = exp.And(
        this=_f("startsWith", column.copy(), _text('"')),
        expression=exp.EQ(this=_f("position", column.copy(), _text("\\")), expression=exp.Literal.number(0)),
    )
    inner = _f(
        "substring",
        column.copy(),
        exp.Literal.number(2),
        exp.Sub(this=_f("length", column.copy()), expression=exp.Literal.number(2)),
    )
    return _f("if", plain, inner, _unwrapped(column))


def _is_root(path: exp.Expression) -> bool:
    return isinstance(path, exp.JSONPath) and [type(p) for p in path.expressions] == [exp.JSONPathRoot]


def extra_reads(tree: exp.Expression, values: Sequence[object]) -> dict[int, Lowering]:
    """The member reads of the stored ``extra`` in ``tree`` and the nodes around them that read a map
    directly, each node's id with its emitter."""
    found: dict[int, Lowering] = {}
    for node in tree.find_all(exp.JSONExtract):
        key = _stored_key(node, values)
        if key is None:
            continue
        read = _Read(PROMOTED_EXTRA.get(key))
        found[id(node)] = read.member
        parent = node.parent
        if parent is None:
            continue
        if isinstance(parent, exp.JSONType) and parent.this is node:
            found[id(parent)] = read.json_type
        elif (
            isinstance(parent, exp.JSONExtractScalar) and parent.this is node and _is_root(parent.expression)
        ):
            found[id(parent)] = read.unwrapped
            cast = parent.parent
            if (
                read.column is None
                and isinstance(cast, exp.TryCast)
                and cast.this is parent
                and cast.args["to"].is_type(_T.DOUBLE)
            ):
                found[id(cast)] = read.number
    return found
