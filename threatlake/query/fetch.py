"""``fetch``: the data object, the timeframe (evaluated at compile time from ``now``) and the buckets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlglot import exp

from threatlake.model import DEFAULT_BUCKET
from threatlake.query import nodes as n
from threatlake.query.buckets import bucket_catalogue
from threatlake.query.calls import constant, parse_timestamp
from threatlake.query.dtypes import STRING, Typed
from threatlake.query.expressions import fn, sql_string
from threatlake.query.frame import BUCKET, RAW_COLUMNS, Ctx, Frame
from threatlake.query.nodes import group_params
from threatlake.query.triage import triage_table

__all__ = ["TABLES", "VIEWS", "check_buckets", "fetch", "time_value", "timeframe_of", "wildcard_regex"]

LEGACY_DEFAULT_BUCKET = "default_security_custom_events"
DEMO_BUCKET = "demo_security_events"  # the first start's demo data (threatlake.service.demo)


@dataclass(frozen=True, slots=True)
class View:
    """How one data object presents the stored events. ``events`` is the platform's generic events table:
    there, security events appear as the older integration stored them (the default bucket by its old name).
    """

    bucket_names: dict[str, str] = field(default_factory=dict)  # stored name → the name this view shows


VIEWS: dict[str, View] = {
    "security.events": View(),
    "events": View({DEFAULT_BUCKET: LEGACY_DEFAULT_BUCKET, DEMO_BUCKET: LEGACY_DEFAULT_BUCKET}),
}
#: Data objects that are tables of their own (no timeframe), not views of the events.
TABLES = {"dt.system.buckets": bucket_catalogue, "security.triage": triage_table}
# The platform's other tables: named in the error, so a query written there says what is missing here.
PLATFORM_TABLES = frozenset(
    {"logs", "bizevents", "spans", "metrics", "metric.series", "user.events", "user.sessions", "user.replays",
     "application.snapshots", "dt.system.events", "dt.system.data_objects", "dt.system.query_executions"}
)  # fmt: skip


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
    ctx.tables.add(source)
    if source in TABLES:
        return TABLES[source](ctx)
    view = VIEWS.get(source)
    if view is None:
        raise positional[0].pos.error(_unserved(source) + "{where}")
    for name in ("scanLimitGBytes", "samplingRatio"):
        if (p := cmd.named(name)) is not None:
            constant(p, "long", "double")
    params = ctx.params
    start, end = timeframe_of(cmd, ctx.now, ctx.timeframe)
    cols = RAW_COLUMNS
    bucket: exp.Expression = exp.column(BUCKET, quoted=True)
    if view.bucket_names:  # the view presents some buckets by other names
        renames = [
            exp.If(this=exp.EQ(this=bucket.copy(), expression=sql_string(stored)), true=sql_string(shown))
            for stored, shown in view.bucket_names.items()
        ]
        bucket = exp.Case(ifs=renames, default=bucket)
        cols = {**RAW_COLUMNS, BUCKET: Typed(bucket, STRING)}
    if ctx.known_buckets is not None:
        ctx.shown_buckets |= {view.bucket_names.get(name, name) for name in ctx.known_buckets}
    ts = exp.column("timestamp", quoted=True)
    where: list[exp.Expression] = [
        exp.GTE(this=ts, expression=params.add(start, "TIMESTAMP")),
        exp.LT(this=ts.copy(), expression=params.add(end, "TIMESTAMP")),
    ]
    if (bucket_p := cmd.named("bucket")) is not None:
        tests: list[exp.Expression] = []
        for p in group_params(bucket_p):
            name = str(constant(p, "string"))
            ctx.bucket_refs.append((name, p.pos))
            if "*" in name:
                tests.append(fn("regexp_full_match", bucket.copy(), params.add(wildcard_regex(name))))
            else:
                tests.append(exp.EQ(this=bucket.copy(), expression=params.add(name)))
        if tests:
            where.append(exp.Paren(this=exp.or_(*tests)) if len(tests) > 1 else tests[0])
    extra = exp.column("extra", quoted=True)
    table = exp.Table(this=exp.to_identifier("events"))
    return Frame(table, cols, (start, end), extra=extra, where=where, sparse=True)


def _unserved(source: str) -> str:
    served = ", ".join(sorted({*VIEWS, *TABLES}))
    if source in PLATFORM_TABLES or source.startswith(("dt.entity.", "dt.davis.", "dt.smartscape")):
        return f"Threatlake does not serve '{source}': it holds security events only (it serves {served})"
    return f"Unknown data object '{source}'; try security.events (Threatlake serves {served})"


def check_buckets(ctx: Ctx) -> None:
    """A bucket name the query tests (``dt.system.bucket == "x"``, ``bucket:{"x"}``) that no bucket has:
    a notification naming the buckets that exist, as the fetched views present them."""
    if ctx.known_buckets is None:
        return
    shown = sorted(ctx.shown_buckets)
    for name, pos in ctx.bucket_refs:
        regex = re.compile(wildcard_regex(name))
        if not any(regex.match(bucket) for bucket in shown):
            listed = ", ".join(shown) or "none"
            ctx.notify("UNKNOWN_BUCKET", f"No bucket is named '{name}'; the buckets are: {listed}.", pos)
