"""``fetch dt.system.buckets``: the bucket catalogue with the fields the platform documents for it.

One record per bucket: ``name``, ``display_name``, ``table``, ``status``, ``retention_days``, ``type``
(``default`` for the built-in bucket, else ``custom``), ``updatable``, ``version``, ``records`` (events stored
in it now, whatever their time) and Threatlake's own ``created``. The catalogue has no timeframe.
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.model import DEFAULT_BUCKET
from threatlake.query.dtypes import BOOLEAN, LONG, STRING, TIMESTAMP, DType, Typed
from threatlake.query.frame import Ctx, Frame, alias

__all__ = ["BUCKET_FIELDS", "bucket_catalogue"]

_B, _R = "b", "r"  # the catalogue's table alias and the per-bucket counts' alias
_STORED = "security.events"  # the table every Threatlake bucket belongs to

BUCKET_FIELDS: dict[str, DType] = {
    "name": STRING,
    "display_name": STRING,
    "table": STRING,
    "status": STRING,
    "retention_days": LONG,
    "type": STRING,
    "updatable": BOOLEAN,
    "version": LONG,
    "records": LONG,
    "created": TIMESTAMP,
}


def _name() -> exp.Column:
    return exp.column("name", table=_B, quoted=True)


def _is_default() -> exp.Expression:
    return exp.EQ(this=_name(), expression=exp.Literal.string(DEFAULT_BUCKET))


def _fields() -> dict[str, exp.Expression]:
    text = exp.Literal.string
    return {
        "name": _name(),
        "display_name": _name(),
        "table": text(_STORED),
        "status": text("active"),
        "retention_days": exp.Cast(
            this=exp.column("retention_days", table=_B, quoted=True), to=exp.DataType.build("BIGINT")
        ),
        "type": exp.Case(ifs=[exp.If(this=_is_default(), true=text("default"))], default=text("custom")),
        "updatable": exp.Not(this=exp.Paren(this=_is_default())),
        "version": exp.Literal.number(1),
        "records": exp.Coalesce(
            this=exp.column("n", table=_R, quoted=True), expressions=[exp.Literal.number(0)]
        ),
        "created": exp.column("created", table=_B, quoted=True),
    }


def bucket_catalogue(ctx: Ctx) -> Frame:
    """The catalogue as a sub-query, so every later command sees plain named columns."""
    bucket = exp.column("dt.system.bucket", quoted=True)
    counts = (
        exp.select(alias(bucket, "bucket"), alias(exp.Count(this=exp.Star()), "n"))
        .from_("events")
        .group_by(bucket.copy())
    )
    on = exp.EQ(this=exp.column("bucket", table=_R, quoted=True), expression=_name())
    select = (
        exp.select(*[alias(sql, name) for name, sql in _fields().items()])
        .from_(exp.Table(this=exp.to_identifier("buckets"), alias=exp.TableAlias(this=exp.to_identifier(_B))))
        .join(
            exp.Subquery(this=counts, alias=exp.TableAlias(this=exp.to_identifier(_R))),
            on=on,
            join_type="LEFT",
        )
    )
    source = exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(ctx.alias())))
    cols = {name: Typed(exp.column(name, quoted=True), dtype) for name, dtype in BUCKET_FIELDS.items()}
    return Frame(source, cols, ctx.timeframe)
