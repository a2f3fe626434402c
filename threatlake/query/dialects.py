"""SQL dialects the compiler targets: a dialect is a table of emitters, not strings (the sqlglot pattern).

The compiler builds one tree, in which operations sqlglot has no typed node for are ``exp.Anonymous`` calls
named after the operation (the names are DuckDB's, the reference dialect, so DuckDB needs no emitter and its
SQL is the tree as built). ``lower`` rewrites a finished tree for one dialect: each operation through the
dialect's emitter table, the placeholders into the dialect's parameter syntax, the type names into its own.
Where sqlglot's own transpilation from DuckDB is wrong (``quantile_cont`` → ``PERCENTILE_CONT``,
``time_bucket`` → ``DATE_BIN``, ``TRY`` dropped, ``TRY_CAST`` → a cast that fails), the emitter writes the
dialect's function itself. Leaf module: imports sqlglot and the field catalogue's types only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect

from threatlake.query import clickhouse_json
from threatlake.query.absent import mark_absent

__all__ = ["DIALECTS", "Dialect", "dialect_for", "param_type"]

Emitter = Callable[[list[exp.Expression]], exp.Expression]


def _call(name: str) -> Emitter:
    return lambda args: exp.Anonymous(this=name, expressions=args)


def _swap(name: str) -> Emitter:
    """``f(list, lambda)`` → ``g(lambda, list)`` (ClickHouse's higher-order functions take lambdas first)."""
    return lambda args: exp.Anonymous(this=name, expressions=[args[1], args[0], *args[2:]])


def _filter(args: list[exp.Expression]) -> exp.Expression:
    """``list_filter(l, (e, i) -> …)`` (DuckDB's element and 1-based index) → ``arrayFilter((e, i) -> …, l,
    arrayEnumerate(l))``; with a one-argument lambda, ``arrayFilter(f, l)``."""
    lam = args[1]
    if isinstance(lam, exp.Lambda) and len(lam.expressions) == 2:
        index = exp.Anonymous(this="arrayEnumerate", expressions=[args[0].copy()])
        return exp.Anonymous(this="arrayFilter", expressions=[lam, args[0], index])
    return exp.Anonymous(this="arrayFilter", expressions=[lam, args[0], *args[2:]])


def _sorted_agg(node: exp.Expression) -> exp.Expression | None:
    """``ARRAY_AGG(x ORDER BY k…) [FILTER (WHERE c)]`` (no ClickHouse syntax) → ``arrayMap(t -> t.1,
    arraySort(t -> (t.2, …), groupArray[If]((x, k…)[, c])))``; ``arrayReverseSort`` when the keys descend.
    Mixed directions: the keys up to the first change of direction decide, as in ``_pick``."""
    cond = node.expression.this if isinstance(node, exp.Filter) else None
    agg = node.this if isinstance(node, exp.Filter) else node
    if not isinstance(agg, exp.ArrayAgg) or not isinstance(agg.this, exp.Order):
        return None
    keys = list(agg.this.expressions)
    desc = bool(keys[0].args.get("desc"))
    same = [bool(key.args.get("desc")) == desc for key in keys]
    keys = keys[: same.index(False)] if False in same else keys
    row = exp.Tuple(expressions=[agg.this.this, *(key.this for key in keys)])
    grouped = exp.Anonymous(this="groupArrayIf" if cond is not None else "groupArray", expressions=[row])
    if cond is not None:
        grouped.append("expressions", cond)
    t = exp.to_identifier("__t")

    def element(i: int) -> exp.Expression:
        return exp.Anonymous(this="tupleElement", expressions=[exp.column("__t"), exp.Literal.number(i)])

    by = exp.Tuple(expressions=[element(i + 2) for i in range(len(keys))])
    order = exp.Lambda(this=by, expressions=[t.copy()])
    ordered = exp.Anonymous(this="arrayReverseSort" if desc else "arraySort", expressions=[order, grouped])
    return exp.Anonymous(
        this="arrayMap", expressions=[exp.Lambda(this=element(1), expressions=[t.copy()]), ordered]
    )


def _contains(args: list[exp.Expression]) -> exp.Expression:
    return exp.GT(this=exp.Anonymous(this="positionUTF8", expressions=args), expression=exp.Literal.number(0))


def _full_match(args: list[exp.Expression]) -> exp.Expression:
    anchored = exp.Anonymous(
        this="concat", expressions=[exp.Literal.string("^(?:"), args[1], exp.Literal.string(")$")]
    )
    return exp.Anonymous(this="match", expressions=[args[0], anchored])


def _slice(args: list[exp.Expression]) -> exp.Expression:
    """DuckDB's ``list_slice(l, begin, end)`` (inclusive end) → ``arraySlice(l, begin, length)``."""
    if len(args) < 3:
        return exp.Anonymous(this="arraySlice", expressions=args)
    length = exp.Add(this=exp.Sub(this=args[2], expression=args[1]), expression=exp.Literal.number(1))
    return exp.Anonymous(this="arraySlice", expressions=[args[0], args[1], exp.Paren(this=length)])


def _pick(smallest: str, largest: str) -> Emitter:
    """Ordered ``first``/``last`` (``first(x ORDER BY k)``, no ClickHouse syntax) → ``argMin``/``argMax``."""

    def emit(args: list[exp.Expression]) -> exp.Expression:
        order = args[0] if args else None
        if not isinstance(order, exp.Order):
            return exp.Anonymous(this="any" if smallest == "argMin" else "anyLast", expressions=args)
        keys = list(order.expressions)
        first_desc = bool(keys[0].args.get("desc"))
        same = [bool(key.args.get("desc")) == first_desc for key in keys]
        # mixed directions (a sort's keys, then the fetch order's tiebreak): no single argMin/argMax
        # orders both ways, so the keys up to the first change of direction decide (ties: any of them)
        keys = keys[: same.index(False)] if False in same else keys
        name = largest if first_desc else smallest
        values = [key.this for key in keys]
        key = values[0] if len(values) == 1 else exp.Tuple(expressions=values)
        return exp.Anonymous(this=name, expressions=[order.this, key])

    return emit


def _reduce(args: list[exp.Expression]) -> exp.Expression:
    """``list_reduce(l, (a, b) -> …)`` starts from the first element: ``arrayFold(f, l[2:], l[1])``."""
    rest = exp.Anonymous(this="arraySlice", expressions=[args[0].copy(), exp.Literal.number(2)])
    first = exp.Anonymous(this="arrayElement", expressions=[args[0], exp.Literal.number(1)])
    return exp.Anonymous(this="arrayFold", expressions=[args[1], rest, first])


def _length(args: list[exp.Expression]) -> exp.Expression:
    return clickhouse_json.json_array_length(args) or exp.Anonymous(this="length", expressions=args)


def _quantile(args: list[exp.Expression]) -> exp.Expression:
    return exp.Quantile(this=args[0], quantile=args[1])


def _timezone(args: list[exp.Expression]) -> exp.Expression:
    return exp.Anonymous(this="toTimeZone", expressions=[args[1], args[0]])


def _split(args: list[exp.Expression]) -> exp.Expression:
    return exp.Anonymous(this="splitByString", expressions=[args[1], args[0]])


def _strptime(args: list[exp.Expression]) -> exp.Expression:
    return exp.Anonymous(this="parseDateTime64BestEffortOrNull", expressions=[args[0], exp.Literal.number(6)])


def _strftime(args: list[exp.Expression]) -> exp.Expression:
    """strftime's minute ``%M`` is ClickHouse's month name (its minute: ``%i``); the format is a constant."""
    minute = exp.Anonymous(
        this="replaceAll", expressions=[args[1], exp.Literal.string("%M"), exp.Literal.string("%i")]
    )
    return exp.Anonymous(this="formatDateTime", expressions=[args[0], minute, *args[2:]])


def _map_value(args: list[exp.Expression]) -> exp.Expression:
    """``m[k]``, null where ``m`` has no key ``k`` (as DuckDB's; ClickHouse reads the type's default)."""
    found = exp.Anonymous(this="mapContains", expressions=[args[0], args[1]])
    value = exp.Bracket(this=args[0].copy(), expressions=[args[1].copy()])
    return exp.If(this=found, true=value, false=exp.null())


#: DuckDB operation name → the ClickHouse expression for it.
CLICKHOUSE_EMITTERS: dict[str, Emitter] = {
    "len": _length,
    "length": _call("lengthUTF8"),
    "trunc": _call("trunc"),
    "contains": _contains,
    "regexp_full_match": _full_match,
    "regexp_replace": _call("replaceRegexpAll"),
    "replace": _call("replaceAll"),
    "strpos": _call("positionUTF8"),
    "substring": _call("substringUTF8"),
    "string_split": _split,
    "concat": clickhouse_json.concat,
    "starts_with": _call("startsWith"),
    "ends_with": _call("endsWith"),
    "isodow": _call("toDayOfWeek"),
    "list_filter": _filter,
    "list_position": _call("indexOf"),
    "list_transform": _swap("arrayMap"),
    "list_extract": clickhouse_json.list_extract,
    "range": clickhouse_json.number_range,
    "list_contains": _call("has"),
    "list_concat": _call("arrayConcat"),
    "list_distinct": _call("arrayDistinct"),
    "list_slice": _slice,
    "flatten": _call("arrayFlatten"),
    "list": _call("groupArray"),
    "first": _pick("argMin", "argMax"),
    "last": _pick("argMax", "argMin"),
    "list_reduce": _reduce,
    "any_value": _call("any"),
    "quantile_cont": _quantile,
    "epoch_us": _call("toUnixTimestamp64Micro"),
    "epoch_ns": _call("toUnixTimestamp64Nano"),
    "make_timestamp": _call("fromUnixTimestamp64Micro"),
    "to_microseconds": _call("toIntervalMicrosecond"),  # timestamp ± duration
    "strftime": _strftime,
    "timezone": _timezone,
    "try_strptime": _strptime,
    "to_json": _call("toJSONString"),
    "json_keys": clickhouse_json.json_keys,
    "json_merge_patch": clickhouse_json.json_merge_patch,
    "map_extract_value": _map_value,
    "map_from_entries": _call("mapFromArrays"),
    "map": _call("mapFromArrays"),  # DuckDB's map(keys, values) of two lists
    "struct_extract": _call("tupleElement"),
}


def param_type(value: object) -> str:
    """The ClickHouse type of a bound value, named in its placeholder."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int64"
    if isinstance(value, float):
        return "Float64"
    if isinstance(value, datetime):
        return "DateTime64(6)"
    if isinstance(value, list | tuple):
        inner = param_type(value[0]) if value else "String"
        return f"Array({inner})"
    if value is None:
        return "Nullable(String)"
    return "String"


_CLICKHOUSE_TYPES = {
    exp.DataType.Type.TIMESTAMP: "DateTime64(6)",
    exp.DataType.Type.TIMESTAMPTZ: "DateTime64(6, 'UTC')",
    exp.DataType.Type.JSON: "String",
}


def _clickhouse_type(node: exp.DataType) -> exp.DataType:
    name = _CLICKHOUSE_TYPES.get(node.this)
    return exp.DataType.build(name, dialect="clickhouse") if name is not None else node


def _lower_clickhouse(tree: exp.Expression, values: Sequence[object]) -> exp.Expression:
    tree = mark_absent(tree)  # absent arrays read as null (query/absent.py), before the emitters rename
    json_casts = clickhouse_json.json_casts(tree, values)  # before the walk lowers their JSON types to String

    def rewrite(node: exp.Expr) -> exp.Expression:
        assert isinstance(node, exp.Expression)
        if id(node) in json_casts:
            return json_casts[id(node)](node)
        dynamic = clickhouse_json.lower_node(node)
        if dynamic is not None:
            return dynamic
        if isinstance(node, exp.Placeholder) and str(node.this).isdigit():
            number = int(node.this)
            kind = exp.DataType.build(param_type(values[number - 1]), dialect="clickhouse")
            return exp.Placeholder(this=f"p{number}", kind=kind)
        if isinstance(node, exp.DataType):
            return _clickhouse_type(node)
        if isinstance(node, exp.JSONType):  # sqlglot writes JSON_TYPE; ClickHouse's answers 'Object'/'Array'
            json_type = exp.Anonymous(this="JSONType", expressions=[node.this])
            return exp.Upper(this=exp.Anonymous(this="toString", expressions=[json_type]))
        if isinstance(node, exp.TryCast) and node.args["to"].is_type(exp.DataType.Type.ARRAY):
            return exp.Cast(this=node.this, to=node.args["to"])  # arrays cannot be Nullable in ClickHouse
        if isinstance(node, exp.TryCast):
            target = node.args["to"].sql("clickhouse")
            return exp.Anonymous(
                this="accurateCastOrNull", expressions=[node.this, exp.Literal.string(target)]
            )
        if isinstance(node, exp.Filter | exp.ArrayAgg) and not isinstance(node.parent, exp.Filter):
            ordered = _sorted_agg(node)
            if ordered is not None:
                return ordered
        if isinstance(node, exp.Try):  # no TRY in ClickHouse: its arithmetic wraps or gives inf instead
            inner: exp.Expression = node.this
            return inner
        if type(node) is exp.Anonymous:
            emit = CLICKHOUSE_EMITTERS.get(str(node.this).lower())
            if emit is not None:
                return emit(list(node.expressions))
        assert isinstance(node, exp.Expression)
        return node

    for node in reversed(list(tree.walk(bfs=False))):  # children first, so every emitter sees lowered args
        new = rewrite(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _identity(tree: exp.Expression, values: Sequence[object]) -> exp.Expression:
    return tree


@dataclass(frozen=True, slots=True)
class Dialect:
    """One compile target: its sqlglot generator and how a finished tree is lowered for it."""

    name: str
    lower: Callable[[exp.Expression, Sequence[object]], exp.Expression] = field(repr=False)
    emitters: dict[str, Emitter] = field(default_factory=dict, repr=False)

    def generate(self, tree: exp.Expression, values: Sequence[object]) -> str:
        """SQL text of ``tree`` (placeholders ``$n`` numbered in order of use) for this dialect."""
        return SqlglotDialect.get_or_raise(self.name).generate(self.lower(tree, values), copy=False)


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect("duckdb", _identity),
    "clickhouse": Dialect("clickhouse", _lower_clickhouse, CLICKHOUSE_EMITTERS),
}


def dialect_for(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"Unknown SQL dialect '{name}' (known: {', '.join(DIALECTS)})") from None
