"""``fieldsFlatten record[, prefix:"p."][, depth:n][, fields:{a, b}]``: a record's members as fields.

Each member ``k`` becomes the field ``<prefix>k`` (the prefix defaults to the record's name and a dot);
members that are records themselves are flattened too, ``depth`` levels deep (default 1: the top level only).
The record itself is kept. ``fields:`` names the members to take (each becomes a field whatever it holds).

A record whose members are known when the query is compiled (``record(…)``, ``parse … JSON{…}:r``) becomes
columns; a dynamic one (a JSON value: ``parse … "JSON:raw"``, a field of the event's other fields) is
flattened when the query runs, into the dynamic fields: ``fieldsFlatten raw | filter raw.severity > 5``.
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.query import nodes as n
from threatlake.query.calls import constant
from threatlake.query.dtypes import JSON, Typed
from threatlake.query.expressions import ExprCompiler, cast, fn, sql_string
from threatlake.query.frame import Ctx, Frame
from threatlake.query.nodes import group_params, output_name

__all__ = ["MAX_DEPTH", "fields_flatten"]

MAX_DEPTH = 10


def fields_flatten(ctx: Ctx, frame: Frame, cmd: n.Command) -> Frame:
    params = cmd.positional()
    if len(params) != 1:
        raise cmd.pos.error("fieldsFlatten needs one record field, like fieldsFlatten raw{where}")
    prefix_p, depth_p, fields_p = cmd.named("prefix"), cmd.named("depth"), cmd.named("fields")
    prefix = str(constant(prefix_p, "string")) if prefix_p else output_name(params[0]) + "."
    depth = int(constant(depth_p, "long")) if depth_p else 1  # type: ignore[call-overload]
    if depth_p is not None and not 1 <= depth <= MAX_DEPTH:
        raise depth_p.pos.error(f"depth must be between 1 and {MAX_DEPTH}{{where}}")
    value = ExprCompiler(ctx, frame).compile(params[0].expr)
    names: list[str] | None = None
    if fields_p is not None:
        names = []
        for p in group_params(fields_p):
            if not isinstance(p.expr, n.Field):
                raise p.pos.error("fields: takes member names{where}")
            names.append(p.expr.name)
    if value.kind == "record" and value.type.fields is not None:
        cols = dict(frame.cols)
        cols |= _record_columns(value, prefix, depth, names)
        return frame.replace(cols=cols, dropped=frame.dropped - set(cols))
    if value.kind not in ("json", "null"):
        raise params[0].pos.error(f"fieldsFlatten needs a record but found {value.kind}{{where}}")
    if names is not None:  # the members are named: columns, dynamic values
        cols = dict(frame.cols)
        for name in names:
            path = ctx.params.add('$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"')
            cols[prefix + name] = Typed(
                exp.JSONExtract(this=cast(value.sql.copy(), "JSON"), expression=path), JSON
            )
        return frame.replace(cols=cols, dropped=frame.dropped - set(cols))
    flat = _flat_json(ctx, cast(value.sql, "JSON"), prefix, depth)
    if frame.extra is None:
        extra = flat
    else:  # nothing to flatten (not an object) keeps the other fields: json_merge_patch of null is null
        patch = exp.Coalesce(this=flat, expressions=[cast(sql_string("{}"), "JSON", safe=False)])
        extra = exp.Anonymous(this="json_merge_patch", expressions=[frame.extra, patch])
    return frame.replace(extra=extra, hidden=frame.hidden if frame.extra is not None else frozenset())


def _record_columns(value: Typed, prefix: str, depth: int, names: list[str] | None) -> dict[str, Typed]:
    out: dict[str, Typed] = {}
    members = dict(value.type.fields or ())
    for key in names if names is not None else list(members):
        if key not in members:
            raise n.Pos(0, 0, key).error(f"The record has no member '{key}'")
        item = Typed(fn("struct_extract", value.sql.copy(), sql_string(key)), members[key])
        if depth > 1 and item.kind == "record" and names is None:
            out |= _record_columns(item, f"{prefix}{key}.", depth - 1, None)
        else:
            out[prefix + key] = item
    return out


def _entries(doc: exp.Expression, prefix: exp.Expression) -> exp.Expression:
    """``[{k: prefix || key, v: doc[key]}, …]`` over an object's keys (no keys for anything else)."""
    key = exp.column("__k")
    path = exp.DPipe(
        this=exp.DPipe(
            this=sql_string('$."'), expression=fn("replace", key.copy(), sql_string('"'), sql_string('\\"'))
        ),
        expression=sql_string('"'),
    )
    entry = exp.Struct(
        expressions=[
            exp.PropertyEQ(
                this=exp.to_identifier("k"), expression=exp.DPipe(this=prefix, expression=key.copy())
            ),
            exp.PropertyEQ(
                this=exp.to_identifier("v"), expression=exp.JSONExtract(this=doc.copy(), expression=path)
            ),
        ]
    )
    lam = exp.Lambda(this=entry, expressions=[exp.to_identifier("__k")])
    return fn("list_transform", fn("json_keys", doc), lam)


def _flat_json(ctx: Ctx, doc: exp.Expression, prefix: str, depth: int) -> exp.Expression:
    """The object's members, ``depth`` levels deep, as one JSON object keyed by prefixed names."""
    entries = _entries(doc, ctx.params.add(prefix))
    for _ in range(depth - 1):  # unrolled: each level opens the members that are objects
        e = exp.column("__e")
        v = exp.Dot(this=e.copy(), expression=exp.to_identifier("v"))
        k = exp.Dot(this=e.copy(), expression=exp.to_identifier("k"))
        is_object = exp.EQ(this=exp.JSONType(this=v.copy()), expression=sql_string("OBJECT"))
        inner = _entries(v.copy(), exp.DPipe(this=k, expression=sql_string(".")))
        opened = exp.Case(ifs=[exp.If(this=is_object, true=inner)], default=exp.Array(expressions=[e.copy()]))
        lam = exp.Lambda(this=opened, expressions=[exp.to_identifier("__e")])
        entries = fn("flatten", fn("list_transform", entries, lam))
    empty = exp.EQ(this=fn("len", entries.copy()), expression=exp.Literal.number(0))
    as_json = cast(fn("to_json", fn("map_from_entries", entries)), "JSON")
    return exp.Case(ifs=[exp.If(this=empty, true=exp.Null())], default=as_json)
