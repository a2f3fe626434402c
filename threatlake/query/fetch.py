"""``fetch``: the data object, the timeframe (evaluated at compile time from ``now``) and the buckets."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import constant, parse_timestamp
from threatlake.query.dtypes import LONG, STRING, TIMESTAMP, Typed
from threatlake.query.expressions import fn
from threatlake.query.frame import RAW_COLUMNS, Ctx, Frame
from threatlake.query.nodes import group_params

__all__ = ["fetch", "time_value", "timeframe_of", "wildcard_regex"]

_EVENTS = frozenset({"security.events", "events"})


_BUCKETS = {"name": STRING, "retention_days": LONG, "created": TIMESTAMP}


def time_value(node: n.Expr, now: datetime) -> datetime | timedelta:
    """Evaluate a timeframe bound at compile time: ``-7d``, ``now()-1h``, ``toTimestamp("…")``, ``"…"``."""
    if isinstance(node, n.Literal) and node.kind == "duration":
        assert isinstance(node.value, int)
        return timedelta(microseconds=node.value // 1000)
    if isinstance(node, n.Literal) and node.kind == "string":
        return parse_timestamp(str(node.value), node.pos)
    if isinstance(node, n.Call) and node.name == "now" and not node.params:
        return now
    if isinstance(node, n.Call) and node.name == "toTimestamp" and len(node.params) == 1:
        return time_value(node.params[0].expr, now)
    if isinstance(node, n.Unary) and node.op == "-":
        inner = time_value(node.operand, now)
        if isinstance(inner, timedelta):
            return -inner
    if isinstance(node, n.Binary) and node.op in ("+", "-", "@"):
        left, right = time_value(node.left, now), time_value(node.right, now)
        if node.op == "@" and isinstance(left, datetime) and isinstance(right, timedelta) and right:
            epoch = datetime(1970, 1, 1)
            return epoch + ((left - epoch) // right) * right
        if isinstance(right, timedelta):
            if isinstance(left, timedelta):
                return left + right if node.op == "+" else left - right
            return left + right if node.op == "+" else left - right
    raise node.pos.error(
        f"Expected a time like -7d, now()-1h or \"2026-01-01T00:00:00Z\" but found '{node}'{{where}}"
    )


def _absolute(node: n.Expr, now: datetime) -> datetime:
    try:
        value = time_value(node, now)
        return now + value if isinstance(value, timedelta) else value
    except OverflowError:  # past year 1 or 9999
        raise node.pos.error(f"The time '{node}' is out of range (years 1 to 9999){{where}}") from None


def timeframe_of(
    cmd: n.Command, now: datetime, default: tuple[datetime, datetime]
) -> tuple[datetime, datetime]:
    start, end = default
    frame_p = cmd.named("timeframe")
    if frame_p is not None:
        text = str(constant(frame_p, "string"))
        if "/" not in text:
            raise frame_p.pos.error("timeframe must be '<start>/<end>'{where}")
        first, second = text.split("/", 1)
        start, end = parse_timestamp(first, frame_p.pos), parse_timestamp(second, frame_p.pos)
    from_p, to_p = cmd.named("from"), cmd.named("to")
    if from_p is not None:
        start = _absolute(from_p.expr, now)
        if to_p is None and frame_p is None:
            end = now
    if to_p is not None:
        end = _absolute(to_p.expr, now)
    if end < start:
        raise cmd.pos.error("The timeframe ends before it starts{where}")
    return start, end


def wildcard_regex(pattern: str) -> str:
    return "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"


def fetch(ctx: Ctx, cmd: n.Command) -> Frame:
    positional = cmd.positional()
    if len(positional) != 1 or not isinstance(positional[0].expr, n.Field):
        raise cmd.pos.error("fetch needs one data object, like 'fetch security.events'{where}")
    source = positional[0].expr.name
    params = ctx.params
    if source == "dt.system.buckets":
        cols = {name: Typed(exp.column(name, quoted=True), t) for name, t in _BUCKETS.items()}
        return Frame(exp.Table(this=exp.to_identifier("buckets")), cols, ctx.timeframe)
    if source not in _EVENTS:
        raise positional[0].pos.error(f"Unknown data object '{source}'; try security.events{{where}}")
    for name in ("scanLimitGBytes", "samplingRatio"):
        if (p := cmd.named(name)) is not None:
            constant(p, "long", "double")
    start, end = timeframe_of(cmd, ctx.now, ctx.timeframe)
    cols = RAW_COLUMNS
    ts = exp.column("timestamp", quoted=True)
    where: list[exp.Expression] = [
        exp.GTE(this=ts, expression=params.add(start, "TIMESTAMP")),
        exp.LT(this=ts.copy(), expression=params.add(end, "TIMESTAMP")),
    ]
    if (bucket_p := cmd.named("bucket")) is not None:
        bucket = exp.column("dt.system.bucket", quoted=True)
        tests: list[exp.Expression] = []
        for p in group_params(bucket_p):
            name = str(constant(p, "string"))
            if "*" in name:
                tests.append(fn("regexp_full_match", bucket.copy(), params.add(wildcard_regex(name))))
            else:
                tests.append(exp.EQ(this=bucket.copy(), expression=params.add(name)))
        if tests:
            where.append(exp.Paren(this=exp.or_(*tests)) if len(tests) > 1 else tests[0])
    extra = exp.column("extra", quoted=True)
    table = exp.Table(this=exp.to_identifier("events"))
    return Frame(table, cols, (start, end), extra=extra, where=where, sparse=True)
