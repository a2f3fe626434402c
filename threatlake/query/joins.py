"""Commands that combine two queries: ``append`` (UNION ALL BY NAME), ``lookup`` (first match), ``join``."""

from __future__ import annotations

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import constant
from threatlake.query.dtypes import Typed
from threatlake.query.expressions import ExprCompiler, common
from threatlake.query.fetchorder import with_fetch_order
from threatlake.query.frame import EXTRA, Ctx, Frame
from threatlake.query.nodes import group_params

__all__ = ["append", "join", "lookup"]


def _sub(cmd: n.Command) -> n.SubQuery:
    positional = cmd.positional()
    if len(positional) != 1 or not isinstance(positional[0].expr, n.SubQuery):
        raise cmd.pos.error(
            f"{cmd.name} needs a sub-query in brackets, like [fetch security.events]{{where}}"
        )
    return positional[0].expr


def _aliased(select: exp.Expression, name: str) -> exp.Subquery:
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(name)))


def _side(ctx: Ctx, frame: Frame, names: list[str] | None) -> exp.Select:
    """One side of the union: all its columns (``BY NAME``), or ``names`` in order, absent ones as NULL."""
    source = _aliased(frame.select(ctx.params), ctx.alias())
    if names is None:
        return exp.Select(expressions=[exp.Star()]).from_(source)
    have = set(frame.cols) | ({EXTRA} if frame.extra is not None else set())
    items = [
        exp.column(k, quoted=True)
        if k in have
        else exp.Alias(this=exp.Null(), alias=exp.to_identifier(k, quoted=True))
        for k in names
    ]
    return exp.Select(expressions=items).from_(source)


def append(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    """``UNION ALL BY NAME`` where the dialect has it (DuckDB); elsewhere both sides list every column."""
    right = ctx.subquery(_sub(cmd).query)
    order = list(frame.cols) + [k for k in right.cols if k not in frame.cols]
    has_extra = frame.extra is not None or right.extra is not None
    by_name = ctx.dialect == "duckdb"
    names = None if by_name else order + ([EXTRA] if has_extra else [])
    left_sql, right_sql = _side(ctx, frame, names), _side(ctx, right, names)
    union = exp.Union(this=left_sql, expression=right_sql, distinct=False, by_name=by_name)
    cols = {k: Typed(exp.column(k, quoted=True), v.type) for k, v in {**right.cols, **frame.cols}.items()}
    return Frame(
        _aliased(union, ctx.alias()),
        {k: cols[k] for k in order},
        frame.timeframe,
        extra=exp.column(EXTRA, quoted=True) if has_extra else None,
        sparse=frame.sparse or right.sparse,
    )


def _prefix(cmd: n.Command, default: str) -> str:
    param = cmd.named("prefix")
    return default if param is None else str(constant(param, "string"))


def _right_fields(cmd: n.Command, right: Frame) -> list[str]:
    param = cmd.named("fields")
    if param is None:
        return list(right.cols)
    names = []
    for p in group_params(param):
        if not isinstance(p.expr, n.Field):
            raise p.pos.error("fields: takes field names{where}")
        if p.expr.name not in right.cols:
            raise p.pos.error(f"Unknown field '{p.expr.name}' in the sub-query{{where}}")
        names.append(p.expr.name)
    return names


def _combine(ctx: Ctx, left: Frame, right: Frame, names: list[str], prefix: str) -> tuple[Frame, str, str]:
    """Both sides as aliased sub-queries; the result holds left's fields, then the prefixed right ones."""
    lname, rname = ctx.alias(), ctx.alias()
    cols = {k: Typed(exp.column(k, table=lname, quoted=True), v.type) for k, v in left.cols.items()}
    for k in names:
        cols[prefix + k] = Typed(exp.column(k, table=rname, quoted=True), right.cols[k].type)
    extra = exp.column(EXTRA, table=lname, quoted=True) if left.extra is not None else None
    frame = Frame(
        _aliased(left.select(ctx.params), lname), cols, left.timeframe, extra=extra, sparse=left.sparse
    )
    return frame, lname, rname


def lookup(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    right = ctx.subquery(_sub(cmd).query)
    source_p, lookup_p = cmd.named("sourceField"), cmd.named("lookupField")
    if source_p is None or lookup_p is None:
        raise cmd.pos.error("lookup needs sourceField: and lookupField:{where}")
    if not isinstance(lookup_p.expr, n.Field):
        raise lookup_p.pos.error("lookupField: takes a field name{where}")
    right = right.plain_frame(ctx)
    key_right = ExprCompiler(ctx, right).compile(lookup_p.expr)
    keys = with_fetch_order(right, [o.copy() for o in right.order])  # the first match in the fetch order
    order = exp.Order(expressions=keys) if keys else None
    first = exp.Window(this=exp.RowNumber(), partition_by=[key_right.sql.copy()], order=order)
    right = right.replace(qualify=exp.EQ(this=first, expression=exp.Literal.number(1)), order=[])
    names = _right_fields(cmd, right)
    combined, lname, rname = _combine(ctx, frame, right, names, _prefix(cmd, "lookup."))
    left_key = ExprCompiler(ctx, frame.output_view(combined.source)).compile(source_p.expr)
    left_key = Typed(_requalify(left_key.sql, lname), left_key.type)
    key_name = lookup_p.expr.name
    right_key = Typed(exp.column(key_name, table=rname, quoted=True), right.cols[key_name].type)
    a, b = common(left_key, right_key)
    join = exp.Join(
        this=_aliased(right.select(ctx.params), rname), on=exp.EQ(this=a.sql, expression=b.sql), side="LEFT"
    )
    return combined.replace(joins=[join])


def _requalify(node: exp.Expression, table: str) -> exp.Expression:
    """Point the bare column references of an expression compiled over a wrapped frame at ``table``."""
    for col in node.find_all(exp.Column):
        if not col.table and col.this.quoted:
            col.set("table", exp.to_identifier(table))
    return node


def _side_key(node: n.Expr, side: str) -> str | None:
    if isinstance(node, n.Access) and isinstance(node.base, n.Field) and node.base.name == side:
        key = node.key
        if isinstance(key, n.Field):
            return key.name
        if isinstance(key, n.Literal) and key.kind == "string":
            return str(key.value)
    return None


_KINDS = {"inner": None, "leftOuter": "LEFT", "outer": "FULL"}


def join(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    right = ctx.subquery(_sub(cmd).query)
    on_p = cmd.named("on")
    if on_p is None:
        raise cmd.pos.error("join needs on:, like on:{left[id] == right[id]}{where}")
    pairs: list[tuple[str, str, n.Pos]] = []
    for p in group_params(on_p):
        expr = p.expr
        if isinstance(expr, n.Field):
            pairs.append((expr.name, expr.name, p.pos))
            continue
        if isinstance(expr, n.Binary) and expr.op == "==":
            lk, rk = _side_key(expr.left, "left"), _side_key(expr.right, "right")
            if lk is None or rk is None:
                lk, rk = _side_key(expr.right, "left"), _side_key(expr.left, "right")
            if lk is not None and rk is not None:
                pairs.append((lk, rk, p.pos))
                continue
        raise p.pos.error("on: takes fields or left[a] == right[b]{where}")
    kind_p = cmd.named("kind")
    kind = "inner"
    if kind_p is not None:
        kind = kind_p.expr.name if isinstance(kind_p.expr, n.Field) else str(constant(kind_p, "string"))
        if kind not in _KINDS:
            raise kind_p.pos.error(f"Unknown join kind '{kind}'; use inner, leftOuter or outer{{where}}")
    names = _right_fields(cmd, right)
    combined, lname, rname = _combine(ctx, frame, right, names, _prefix(cmd, "right."))
    wrapped = frame.output_view(combined.source)
    tests: list[exp.Expression] = []
    for lk, rk, pos in pairs:
        left_key = ExprCompiler(ctx, wrapped).lookup(lk, pos)
        if rk not in right.cols:
            raise pos.error(f"Unknown field '{rk}' in the sub-query{{where}}")
        right_key = Typed(exp.column(rk, table=rname, quoted=True), right.cols[rk].type)
        a, b = common(Typed(_requalify(left_key.sql, lname), left_key.type), right_key)
        tests.append(exp.EQ(this=a.sql, expression=b.sql))
    on = tests[0] if len(tests) == 1 else exp.and_(*tests)
    side = _KINDS[kind]
    join_node = (
        exp.Join(this=_aliased(right.select(ctx.params), rname), on=on, side=side)
        if side
        else exp.Join(this=_aliased(right.select(ctx.params), rname), on=on)
    )
    return combined.replace(joins=[join_node])
