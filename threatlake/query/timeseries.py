"""Aggregation: the SELECT … GROUP BY behind ``summarize``, and ``makeTimeseries`` (a row per group).

makeTimeseries runs in three layers: aggregate per (group, bin); per group, a map bin → value per aggregate;
then an array over every bin of the timeframe, null (or ``default:``) where a bin has no data.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import constant
from threatlake.query.dtypes import DURATION, TIMESTAMP, DType, Typed, array_of, record_of
from threatlake.query.expressions import ExprCompiler, coerce, fn, paren
from threatlake.query.fetch import timeframe_of
from threatlake.query.frame import Ctx, Frame, alias
from threatlake.query.nodes import duration_text, group_params, output_name

__all__ = ["aggregate_select", "make_timeseries", "series_interval"]

_MINUTE, _HOUR, _DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
_STEPS = [timedelta(minutes=m) for m in (1, 2, 3, 5, 10, 15, 30)] + [timedelta(hours=h) for h in range(1, 25)]
MAX_BINS = 1500
_EPOCH = datetime(1970, 1, 1)


def aggregate_select(
    ctx: Ctx,
    frame: Frame,
    aggs: list[n.Param],
    keys: list[n.Param],
    extra_keys: tuple[exp.Expression, ...] = (),
) -> tuple[exp.Select, dict[str, Typed]]:
    frame = frame.plain_frame(ctx)
    row = ExprCompiler(ctx, frame)
    cols: dict[str, Typed] = {}
    for p in keys:
        value = row.compile(p.expr)
        cols[output_name(p)] = coerce(value, "string") if value.kind == "json" else value
    key_exprs = [v.sql for v in cols.values()]
    agg = ExprCompiler(ctx, frame, aggregate=True)
    for p in aggs:
        cols[output_name(p)] = agg.compile(p.expr)
    projections = [alias(v.sql.copy(), k, quoted=True) for k, v in cols.items()]
    select = exp.Select(expressions=projections).from_(frame.source.copy(), copy=False)
    for join in frame.joins:
        select = select.join(join.copy(), copy=False)
    if frame.where:
        select = select.where(*[w.copy() for w in frame.where], copy=False)
    group = [k.copy() for k in key_exprs] + list(extra_keys)
    if group:
        select = select.group_by(*group, copy=False)
    return select, cols


def aggregate_frame(ctx: Ctx, frame: Frame, aggs: list[n.Param], keys: list[n.Param]) -> Frame:
    """summarize as a frame: the GROUP BY stays in the same SELECT, so a following sort or limit folds in."""
    frame = frame.plain_frame(ctx)
    row = ExprCompiler(ctx, frame)
    cols: dict[str, Typed] = {}
    for p in keys:
        value = row.compile(p.expr)
        cols[output_name(p)] = coerce(value, "string") if value.kind == "json" else value
    group = [v.sql.copy() for v in cols.values()]
    agg = ExprCompiler(ctx, frame, aggregate=True)
    for p in aggs:
        cols[output_name(p)] = agg.compile(p.expr)
    dropped = frame.dropped | (set(frame.cols) - set(cols))
    return Frame(
        frame.source,
        cols,
        frame.timeframe,
        joins=frame.joins,
        where=frame.where,
        group=group,
        dropped=dropped,
    )


def series_interval(span: timedelta, bins: int) -> timedelta:
    """About ``bins`` bins over ``span``, the interval rounded up to a well-known value."""
    raw = span / max(bins, 1)
    for step in _STEPS:
        if raw <= step:
            return step
    return _DAY * math.ceil(raw / _DAY)


def _align(start: datetime, end: datetime, interval: timedelta) -> tuple[datetime, datetime, int]:
    first = _EPOCH + ((start - _EPOCH) // interval) * interval
    count = max(1, math.ceil((end - first) / interval))
    return first, first + count * interval, count


def _text(interval: timedelta) -> str:
    return duration_text(interval // timedelta(microseconds=1) * 1000)


def _fit(start: datetime, end: datetime, bins: int) -> tuple[timedelta, datetime, datetime, int]:
    """About ``bins`` bins over the timeframe, never more than ``MAX_BINS`` once aligned."""
    interval = series_interval(end - start, bins)
    first, last, count = _align(start, end, interval)
    if count > MAX_BINS:  # alignment added a bin past the limit
        interval = series_interval(end - start, MAX_BINS // 2)
        first, last, count = _align(start, end, interval)
    return interval, first, last, count


def _strip_default(param: n.Param) -> tuple[n.Param, n.Param | None]:
    call = param.expr
    if not isinstance(call, n.Call):
        return param, None
    default = next((p for p in call.params if p.name == "default"), None)
    if default is None:
        return param, None
    kept = n.Call(call.pos, call.name, tuple(p for p in call.params if p.name != "default"))
    alias = param.alias or str(kept)
    return n.Param(param.pos, kept, param.name, alias, param.order), default


def make_timeseries(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    params = ctx.params
    aggs, defaults = [], []
    for param in [q for p in cmd.positional() for q in group_params(p)]:
        stripped, default = _strip_default(param)
        aggs.append(stripped)
        defaults.append(default)
    if not aggs:
        raise cmd.pos.error("makeTimeseries needs at least one aggregation{where}")
    keys = group_params(cmd.named("by"))
    start, end = timeframe_of(cmd, ctx.now, frame.timeframe)
    if (interval_p := cmd.named("interval")) is not None:
        value = constant(interval_p, "duration")
        assert isinstance(value, int)
        if value <= 0:
            raise interval_p.pos.error("interval must be positive{where}")
        interval = timedelta(microseconds=max(1, value // 1000))
        first, last, count = _align(start, end, interval)
        if count > MAX_BINS:  # as the platform does: a wider interval, within the bin limit, and a notice
            asked, bins = _text(interval), count
            interval, first, last, count = _fit(start, end, MAX_BINS)
            message = f"The interval {asked} would give {bins} bins; {_text(interval)} is used instead"
            ctx.notify("INTERVAL_ADJUSTED", f"{message} (at most {MAX_BINS} bins).", interval_p.pos)
    else:
        bins_p = cmd.named("bins")
        bins = int(constant(bins_p, "long")) if bins_p else 120  # type: ignore[call-overload]
        interval, first, last, count = _fit(start, end, min(max(bins, 1), MAX_BINS))
    nonempty_p = cmd.named("nonempty")
    nonempty = bool(constant(nonempty_p, "boolean")) if nonempty_p else False

    frame = frame.plain_frame(ctx)
    time_node = cmd.named("time").expr if cmd.named("time") else n.Field(cmd.pos, "timestamp")  # type: ignore[union-attr]
    time = coerce(ExprCompiler(ctx, frame).compile(time_node), "timestamp").sql
    step_us = params.add(interval // timedelta(microseconds=1), "BIGINT")
    lo, hi = params.add(first, "TIMESTAMP"), params.add(last, "TIMESTAMP")
    offset = exp.Sub(this=fn("epoch_us", time), expression=fn("epoch_us", lo))
    bin_expr = exp.IntDiv(this=exp.Paren(this=offset), expression=step_us)
    in_range = [
        exp.GTE(this=paren(time.copy()), expression=lo.copy()),
        exp.LT(this=paren(time.copy()), expression=hi),
    ]
    frame = frame.replace(where=[*frame.where, *in_range])
    inner, cols = aggregate_select(ctx, frame, aggs, keys, (bin_expr.copy(),))
    inner.select(alias(bin_expr, "__bin", quoted=True), copy=False)

    key_names = [output_name(p) for p in keys]
    agg_names = [k for k in cols if k not in key_names]
    bin_col = exp.column("__bin", quoted=True)
    middle_proj: list[exp.Expression] = [exp.column(k, quoted=True) for k in key_names]
    for i, name in enumerate(agg_names):
        values = fn("list", exp.column(name, quoted=True))
        middle_proj.append(alias(fn("map", fn("list", bin_col.copy()), values), f"__m{i}", quoted=True))
    middle = exp.Select(expressions=middle_proj).from_(
        exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(ctx.alias()))), copy=False
    )
    if key_names:
        middle = middle.group_by(*[exp.column(k, quoted=True) for k in key_names], copy=False)
    elif not nonempty:
        middle = middle.having(
            exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(0)), copy=False
        )

    sub = exp.Subquery(this=middle, alias=exp.TableAlias(this=exp.to_identifier(ctx.alias())))
    out: dict[str, Typed] = {k: Typed(exp.column(k, quoted=True), cols[k].type) for k in key_names}
    timeframe = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("start", quoted=True), expression=lo.copy()),
            exp.PropertyEQ(this=exp.to_identifier("end", quoted=True), expression=hi.copy()),
        ]
    )
    out["timeframe"] = Typed(timeframe, record_of([("start", TIMESTAMP), ("end", TIMESTAMP)]))
    out["interval"] = Typed(params.add(interval // timedelta(microseconds=1) * 1000, "BIGINT"), DURATION)
    var = exp.to_identifier("__b")
    for i, name in enumerate(agg_names):
        cell = fn("map_extract_value", exp.column(f"__m{i}", quoted=True), exp.column("__b"))
        default_p = defaults[i]
        if default_p is not None:
            fallback = ExprCompiler(ctx, frame).compile(default_p.expr)
            cell = exp.Coalesce(this=cell, expressions=[fallback.sql])
        series = fn(
            "list_transform",
            fn("range", params.add(count, "BIGINT")),
            exp.Lambda(this=cell, expressions=[var]),
        )
        item: DType = cols[name].type
        out[name] = Typed(series, array_of(item))
    return Frame(sub, out, (first, last), dropped=frame.dropped | (set(frame.cols) - set(out)))
