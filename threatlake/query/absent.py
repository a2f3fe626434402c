"""Absent arrays on ClickHouse: a null array, which ClickHouse cannot hold, rebuilt from a per-row marker.

ClickHouse has no ``Nullable(Array)``: an array field an event does not have is stored as ``[]``. The
ClickHouse store therefore writes, beside each row, the names of the array fields it lacks
(``ABSENT_ARRAYS``, an ``Array(LowCardinality(String))``). ``mark_absent`` rewrites a finished DuckDB-named
tree, before the dialect's emitters run, so that it gives DuckDB's answers:

- a stored array field read where the marker is in reach (a ``SELECT`` straight from ``events``) carries
  the flag ``has(absent_arrays, 'name')``; the flag follows the value through every operation that is null
  when its input is (``len``, ``list_filter``, ``range``, casts, comparisons, arithmetic, ``NOT``…);
- where a flagged *scalar* meets anything else (``AND``/``OR``, ``CASE``, ``COALESCE``, a ``WHERE``, a
  projection), it becomes ``if(flag, NULL, value)``: three-valued logic as on DuckDB;
- a flagged *array* in a projection gets a companion column ``"__null__.<name>"`` (the flag); a ``SELECT``
  reading that sub-query takes its flag from the companion, and the store turns the top level's companions
  back into nulls (``ClickHouseStore.execute``) and drops them.

A join's sides pass their companions by ``alias.name``; a grouped ``SELECT`` keys on the flag of an array it
groups by. Where the marker is out of reach (a union's sides, an aggregate over an array), an absent array
stays ``[]`` (``docs/store.md``). Leaf module: sqlglot and the field catalogue only.
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.model.fields import ABSENT_ARRAYS, FIELDS, NULL_MARK, FieldType

__all__ = ["mark_absent"]

#: Stored array fields (each may be absent on a row).
ARRAY_FIELDS = tuple(name for name, f in FIELDS.items() if f.type is FieldType.STRING_ARRAY)
#: Tables whose rows carry the marker.
MARKED_TABLES = frozenset({"events"})

#: DuckDB operations that are null when an argument is: a flag passes through them.
STRICT_CALLS = frozenset(
    {
        "len", "list_filter", "list_transform", "list_extract", "list_contains", "list_distinct",
        "list_slice", "list_reduce", "flatten", "range", "generate_series", "array_to_string", "to_json",
        "regexp_full_match", "starts_with", "ends_with", "contains", "strpos", "length", "lower", "upper",
        "string_split", "substring", "trim",
    }
)  # fmt: skip
#: Those whose value is an array (a flagged one becomes a companion column, not an ``if``).
ARRAY_CALLS = frozenset(
    {"list_filter", "list_transform", "list_distinct", "list_slice", "flatten", "range", "generate_series",
     "string_split"}
)  # fmt: skip
_STRICT_NODES: tuple[type[exp.Expression], ...] = (
    exp.Cast,
    exp.TryCast,
    exp.Paren,
    exp.Not,
    exp.Neg,
    exp.Between,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
)

Env = dict[str, exp.Expression]


def _flag_of(names: list[exp.Expression]) -> exp.Expression | None:
    if not names:
        return None
    return names[0] if len(names) == 1 else exp.Paren(this=exp.or_(*[f.copy() for f in names]))


def _is_array(node: exp.Expression, env: Env) -> bool:
    if isinstance(node, exp.Paren):
        return _is_array(node.this, env)
    if isinstance(node, exp.Column):
        return _key(node) in env
    if isinstance(node, exp.Cast | exp.TryCast):
        return bool(node.args["to"].is_type(exp.DataType.Type.ARRAY))
    if type(node) is exp.Anonymous:
        return str(node.this).lower() in ARRAY_CALLS
    return isinstance(node, exp.Array)


def _strict(node: exp.Expression) -> bool:
    if type(node) is exp.Anonymous:
        return str(node.this).lower() in STRICT_CALLS
    return isinstance(node, _STRICT_NODES)


def _nulled(value: exp.Expression, flag: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="if", expressions=[flag.copy(), exp.Null(), value])


def _expr(node: exp.Expression, env: Env) -> exp.Expression | None:
    """Rewrite ``node``'s children; the flag of ``node`` itself (None: never an absent array's null)."""
    if isinstance(node, exp.Select | exp.Union | exp.Subquery):
        _query(node)
        return None
    if isinstance(node, exp.Column):
        flag = env.get(_key(node))
        return flag.copy() if flag is not None else None
    if isinstance(node, exp.Lambda):  # runs per element: an absent array has none
        _expr(node.this, {})
        return None
    strict = _strict(node)
    flags: list[exp.Expression] = []
    arrays: dict[int, exp.Expression] = {}  # flagged array children of a non-strict node, by position
    children = list(node.iter_expressions())
    for index, child in enumerate(children):
        flag = _expr(child, env)
        if flag is None:
            continue
        if strict:
            flags.append(flag)
        elif _is_array(child, env):
            arrays[index] = flag
        else:
            child.replace(_nulled(child.copy(), flag))
    if arrays:
        _absent_tests(node, children, arrays)
    return _flag_of(flags)


def _absent_tests(
    node: exp.Expression, children: list[exp.Expression], flags: dict[int, exp.Expression]
) -> None:
    """``arr IS NULL`` → the flag; ``coalesce(arr, b, …)`` → ``if(flag, coalesce(b, …), arr)``."""
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null) and 0 in flags:
        node.replace(exp.Paren(this=flags[0]))
    elif isinstance(node, exp.Coalesce) and 0 in flags and len(children) > 1:
        rest = [c.copy() for c in children[1:]]
        other = rest[0] if len(rest) == 1 else exp.Coalesce(this=rest[0], expressions=rest[1:])
        node.replace(exp.Anonymous(this="if", expressions=[flags[0], other, children[0].copy()]))


def _key(col: exp.Column) -> str:
    """A column's name in an ``Env``: ``name``, or ``alias.name`` where a join's side qualifies it."""
    return f"{col.table}.{col.name}" if col.table else col.name


def _companions(source: exp.Expression | None) -> dict[str, str]:
    """name → companion column of a sub-query ``source`` (its ``__null__.<name>`` projections)."""
    inner = source.this if isinstance(source, exp.Subquery) else None
    if not isinstance(inner, exp.Select):
        return {}
    names = [item.alias_or_name for item in inner.expressions]
    return {name.removeprefix(NULL_MARK): name for name in names if name.startswith(NULL_MARK)}


def _env(select: exp.Select) -> Env:
    """The flags a ``SELECT`` can read: the marker of a stored table, a sub-query's companions, or the
    companions of a join's sides (by ``alias.name``; a side's row that did not match has a null flag, and
    its array is null too, as an outer join gives on DuckDB)."""
    source = select.args.get("from_") or select.args.get("from")
    this = source.this if source is not None else None
    joins = select.args.get("joins") or []
    if joins:
        env: Env = {}
        for side in [this, *(join.this for join in joins)]:
            alias = side.alias if isinstance(side, exp.Subquery) else ""
            for name, mark in _companions(side).items() if alias else ():
                flag = exp.column(mark, table=alias, quoted=True)
                env[f"{alias}.{name}"] = exp.Anonymous(this="ifNull", expressions=[flag, exp.true()])
        return env
    if isinstance(this, exp.Table) and this.name in MARKED_TABLES:
        marker = exp.column(ABSENT_ARRAYS, quoted=True)
        return {
            name: exp.Anonymous(this="has", expressions=[marker.copy(), exp.Literal.string(name)])
            for name in ARRAY_FIELDS
        }
    return {name: exp.column(mark, quoted=True) for name, mark in _companions(this).items()}


def _companions_allowed(select: exp.Select) -> bool:
    return select.args.get("distinct") is None and not isinstance(select.parent, exp.Union)


def _grouped(select: exp.Select, target: exp.Expression) -> bool:
    """In a grouped ``SELECT``, a flagged array has its companion only when it is a group key (the flag
    then becomes a key too, ``_group_by_flags``)."""
    group = select.args.get("group")
    if group is None:
        return True
    return target.sql() in {key.sql() for key in group.expressions}


def _companion(flag: exp.Expression, name: str) -> exp.Expression:
    """``flag AS "__null__.name"``, nullable: a join's side that did not match reads it as null."""
    nullable = exp.Anonymous(this="toNullable", expressions=[flag])
    return exp.Alias(this=nullable, alias=exp.to_identifier(NULL_MARK + name, quoted=True))


_AGGREGATES = frozenset({"list", "first", "last", "any_value", "quantile_cont", "arg_min", "arg_max"})


def _in_aggregate(node: exp.Expression, root: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None and parent is not root.parent:
        if isinstance(parent, exp.AggFunc) or (
            type(parent) is exp.Anonymous and str(parent.this).lower() in _AGGREGATES
        ):
            return True
        parent = parent.parent
    return False


def _group_by_flags(select: exp.Select, env: Env) -> None:
    """A grouped ``SELECT`` reading a flag outside its aggregates (an array it groups by): the flag is
    a group key too, so an absent array and ``[]`` form two groups, as on DuckDB."""
    group = select.args.get("group")
    if group is None or not env:
        return
    flags = {flag.sql() for flag in env.values()}
    keys = {key.sql() for key in group.expressions}
    for item in select.expressions:
        for node in list(item.walk()):
            text = node.sql() if isinstance(node, exp.Anonymous | exp.Column) else ""
            if text in flags and text not in keys and not _in_aggregate(node, item):
                group.append("expressions", node.copy())
                keys.add(text)


def _select(select: exp.Select) -> None:
    source = select.args.get("from_") or select.args.get("from")
    if source is not None:
        _expr(source, {})
    for join in select.args.get("joins") or []:
        _expr(join, {})
    env = _env(select)
    companions: list[exp.Expression] = []
    for item in list(select.expressions):
        if isinstance(item, exp.Var) and env:  # the raw projection (every catalogue column)
            companions += [_companion(env[name].copy(), name) for name in env]
            continue
        target = item.this if isinstance(item, exp.Alias) else item
        flag = _expr(target, env)
        if flag is None:
            continue
        if _is_array(target, env):
            if _grouped(select, target):
                companions.append(_companion(flag, item.alias_or_name))
        else:
            target.replace(_nulled(target.copy(), flag))
    for key, value in select.args.items():  # WHERE, QUALIFY, ORDER BY…: scalars become if(flag, NULL, v)
        if key not in {"expressions", "from", "from_", "joins"} and isinstance(value, exp.Expression):
            _expr(value, env)
    if companions and _companions_allowed(select):
        select.set("expressions", [*select.expressions, *companions])
    _group_by_flags(select, env)


def _query(node: exp.Expression) -> None:
    if isinstance(node, exp.Select):
        _select(node)
    elif isinstance(node, exp.Union):
        _query(node.this)
        _query(node.expression)
    elif isinstance(node, exp.Subquery):
        _query(node.this)


def mark_absent(tree: exp.Expression) -> exp.Expression:
    """``tree`` (DuckDB operation names) rewritten in place so absent arrays read as null (see above)."""
    _query(tree)
    return tree
