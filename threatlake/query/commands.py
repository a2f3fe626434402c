"""The stage table: DQL command → ``(ctx, frame, command) -> frame``, one entry per command."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from threatlake.errors import QueryError
from threatlake.query import nodes as n
from threatlake.query.calls import constant
from threatlake.query.dtypes import JSON, Typed
from threatlake.query.expressions import ExprCompiler, cast, coerce, fn, paren
from threatlake.query.fetch import wildcard_regex
from threatlake.query.fetchorder import fetch_order, with_fetch_order
from threatlake.query.frame import Ctx, Frame
from threatlake.query.nodes import group_params, output_name, positional_items
from threatlake.query.parser import ASSIGN_HINT

__all__ = ["STAGES", "ordering", "stage_for"]

Stage = Callable[[Ctx, Frame, n.Command], Frame]


def _filter(negate: bool) -> Stage:
    def stage(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
        params = cmd.positional()
        if len(params) != 1:
            raise cmd.pos.error(f"{cmd.name} needs exactly one condition{{where}}")
        assign_hint(params[0])
        frame = frame.plain_frame(ctx)
        cond = ExprCompiler(ctx, frame).condition(params[0].expr)
        if negate:  # filterOut removes only rows where the condition is true: null stays
            cond = exp.Not(this=exp.Coalesce(this=paren(cond), expressions=[exp.false()]))
        return frame.replace(where=[*frame.where, cond])

    return stage


def assign_hint(param: n.Param) -> None:
    """``filter a = 1``: a single ``=`` where a condition belongs."""
    if param.alias is not None:
        pos = param.assign or param.pos
        raise pos.error(f"Expected a condition but found an assignment{{where}}; {ASSIGN_HINT}")


def _search(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    params = cmd.positional()
    if len(params) != 1:
        raise cmd.pos.error("search needs one string{where}")
    needle = exp.Lower(this=ctx.params.add(str(constant(params[0], "string"))))
    frame = frame.plain_frame(ctx)
    texts = [col.sql for col in frame.cols.values() if col.kind == "string"]
    if frame.extra is not None:
        texts.append(cast(frame.extra, "VARCHAR", safe=False))
    tests = [fn("contains", exp.Lower(this=t.copy()), needle.copy()) for t in texts]
    cond = exp.Paren(this=exp.or_(*tests)) if tests else exp.false()
    return frame.replace(where=[*frame.where, cond])


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(wildcard_regex(text))


def _fields(keep_patterns: bool) -> Stage:
    def stage(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
        compiler = ExprCompiler(ctx, frame)
        cols: dict[str, Typed] = {}
        for p in positional_items(cmd.positional()):
            if (
                keep_patterns
                and isinstance(p.expr, n.Literal)
                and p.expr.kind == "string"
                and p.alias is None
            ):
                regex = _pattern(str(p.expr.value))
                cols |= {k: v for k, v in frame.cols.items() if regex.match(k)}
                continue
            cols[output_name(p)] = compiler.compile(p.expr)
        dropped = frame.dropped | (set(frame.cols) - set(cols))
        return frame.replace(cols=cols, extra=None, dropped=dropped, sparse=False)

    return stage


def _fields_add(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    cols = dict(frame.cols)
    for p in positional_items(cmd.positional()):
        value = ExprCompiler(ctx, frame.replace(cols=cols)).compile(p.expr)
        cols[output_name(p)] = value
    return frame.replace(cols=cols, dropped=frame.dropped - set(cols))


def _fields_remove(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    cols = dict(frame.cols)
    removed: set[str] = set()
    for p in positional_items(cmd.positional()):
        if isinstance(p.expr, n.Literal) and p.expr.kind == "string":
            regex = _pattern(str(p.expr.value))
            names = {k for k in cols if regex.match(k)}
        elif isinstance(p.expr, n.Field):
            names = {p.expr.name}
        else:
            raise p.pos.error('fieldsRemove takes field names or "prefix*" patterns{where}')
        for name in names:
            cols.pop(name, None)
        removed |= names
    hidden = frame.hidden | removed if frame.extra is not None else frozenset()
    return frame.replace(cols=cols, dropped=frame.dropped | removed, hidden=hidden)


def _fields_rename(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    renames: dict[str, str] = {}
    compiler = ExprCompiler(ctx, frame)
    cols = dict(frame.cols)
    for p in positional_items(cmd.positional()):
        if p.alias is None or not isinstance(p.expr, n.Field):
            raise p.pos.error("fieldsRename takes 'new = old'{where}")
        if p.expr.name not in cols:
            cols[p.expr.name] = compiler.lookup(p.expr.name, p.expr.pos)
        renames[p.expr.name] = p.alias
    renamed = {renames.get(k, k): v for k, v in cols.items()}
    gone = set(renames) - set(renamed)
    hidden = frame.hidden | gone if frame.extra is not None else frozenset()
    return frame.replace(cols=renamed, dropped=frame.dropped | gone, hidden=hidden)


_DIRECTIONS = {"ascending": "asc", "descending": "desc", "asc": "asc", "desc": "desc"}


def sort_keys(params: list[n.Param]) -> list[n.Param]:
    """Sort keys: ``a desc``, ``{a, b desc}``, or the record form ``{a, direction:"descending"}``."""
    keys: list[n.Param] = []
    for p in params:
        group = p.expr
        if not (isinstance(group, n.Group) and any(q.name is not None for q in group.params)):
            keys.extend(group_params(p))
            continue
        direction = next((q for q in group.params if q.name == "direction"), None)
        for q in group.params:
            if q.name not in (None, "direction"):
                raise q.pos.error(f"Unknown sort option '{q.name}'; use direction{{where}}")
        order = None
        if direction is not None:
            text = str(constant(direction, "string"))
            order = _DIRECTIONS.get(text)
            if order is None:
                raise direction.pos.error(
                    f'direction must be "ascending" or "descending", not \'{text}\'{{where}}'
                )
        fields = [q for q in group.params if q.name is None]
        if len(fields) != 1:
            raise p.pos.error(
                'A sort record names one field, like {timestamp, direction:"descending"}{where}'
            )
        keys.append(n.Param(fields[0].pos, fields[0].expr, None, fields[0].alias, order or fields[0].order))
    return keys


def ordering(ctx: Ctx, frame: Frame, params: list[n.Param]) -> list[exp.Ordered]:
    compiler = ExprCompiler(ctx, frame)
    out = []
    for p in sort_keys(params):
        value = compiler.compile(p.expr)
        if value.sql.find(exp.Column, exp.AggFunc) is None:
            continue  # a constant does not order anything (and SQL engines reject it); count() is no constant
        desc = p.order == "desc"
        if value.kind == "json":  # a dynamic value: numbers in numeric order, then text in text order
            number = coerce(value, "double").sql
            out.append(exp.Ordered(this=paren(number), desc=desc, nulls_first=False))
            value = coerce(value, "string")
        out.append(exp.Ordered(this=paren(value.sql), desc=desc, nulls_first=False))
    return out


def _sort(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    if frame.limit is not None:
        frame = frame.wrap(ctx)
    if not cmd.positional():
        raise cmd.pos.error("sort needs at least one expression{where}")
    order = ordering(ctx, frame, cmd.positional())
    # earlier order breaks ties (a stable sort), then the fetch order (query/fetchorder.py)
    return frame.replace(order=with_fetch_order(frame, order + frame.order))


def _limit(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    params = cmd.positional()
    if len(params) != 1:
        raise cmd.pos.error("limit needs one number{where}")
    value = constant(params[0], "long")
    assert isinstance(value, int)
    if value < 0:
        raise params[0].pos.error("limit must not be negative{where}")
    order = frame.order or fetch_order(frame)  # which rows a limit keeps: the first in the fetch order
    return frame.replace(limit=value if frame.limit is None else min(frame.limit, value), order=order)


def _dedup(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    keys_p = [q for p in cmd.positional() for q in group_params(p)]
    if not keys_p:
        raise cmd.pos.error("dedup needs at least one field{where}")
    frame = frame.plain_frame(ctx)
    compiler = ExprCompiler(ctx, frame)
    keys = [compiler.compile(p.expr).sql for p in keys_p]
    sort_p = cmd.named("sort")
    # no order given: the fetch order picks the row kept (query/fetchorder.py); a given order is used as is
    order = ordering(ctx, frame, [sort_p] if sort_p is not None else []) or [o.copy() for o in frame.order]
    order = order or fetch_order(frame)
    window = exp.Window(
        this=exp.RowNumber(), partition_by=keys, order=exp.Order(expressions=order) if order else None
    )
    return frame.replace(qualify=exp.EQ(this=window, expression=exp.Literal.number(1)))


def _summarize(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    from threatlake.query.timeseries import aggregate_frame

    aggs = [q for p in cmd.positional() for q in group_params(p)]
    if not aggs and cmd.named("by") is None:
        raise cmd.pos.error("summarize needs an aggregation or by:{where}")
    return aggregate_frame(ctx, frame, aggs, group_params(cmd.named("by")))


def _expand(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    params = cmd.positional()
    if len(params) != 1:
        raise cmd.pos.error("expand needs one array field{where}")
    frame = frame.plain_frame(ctx)
    array = ExprCompiler(ctx, frame).compile(params[0].expr)
    if array.kind == "json":
        array = Typed(cast(array.sql, "JSON[]"), JSON.__class__("array", item=JSON))
    if array.kind != "array" or array.type.item is None:
        raise params[0].pos.error(f"expand needs an array but found {array.kind}{{where}}")
    name = target = output_name(params[0])  # `expand x, alias:y` was folded into `expand y = x`
    values = array.sql
    if (limit_p := cmd.named("limit")) is not None:
        values = fn(
            "list_slice", values, exp.Literal.number(1), ctx.params.add(constant(limit_p, "long"), "BIGINT")
        )
    cols = {k: v for k, v in frame.cols.items() if k != target}
    cols[name] = Typed(exp.Unnest(expressions=[values]), array.type.item)
    return frame.replace(cols=cols).wrap(ctx)


def _unsupported(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    raise cmd.pos.error(f"'{cmd.name}' must be the first command{{where}}")


def _stages() -> dict[str, Stage]:
    from threatlake.query.flatten import fields_flatten
    from threatlake.query.joins import append, join, lookup
    from threatlake.query.parsing import parse_stage
    from threatlake.query.timeseries import make_timeseries

    return {
        "fetch": _unsupported,
        "filter": _filter(negate=False),
        "filterOut": _filter(negate=True),
        "search": _search,
        "fields": _fields(keep_patterns=False),
        "fieldsKeep": _fields(keep_patterns=True),
        "fieldsAdd": _fields_add,
        "fieldsRemove": _fields_remove,
        "fieldsRename": _fields_rename,
        "fieldsFlatten": fields_flatten,
        "summarize": _summarize,
        "sort": _sort,
        "limit": _limit,
        "dedup": _dedup,
        "makeTimeseries": make_timeseries,
        "expand": _expand,
        "parse": parse_stage,
        "append": append,
        "lookup": lookup,
        "join": join,
    }


STAGES: dict[str, Stage] = {}


def stage_for(name: str) -> Stage:
    if not STAGES:
        STAGES.update(_stages())
    try:
        return STAGES[name]
    except KeyError:
        raise QueryError(f"Command '{name}' is not supported") from None
