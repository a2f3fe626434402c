"""``fetch security.triage``: Threatlake's own triage state, one record per triaged finding.

Fields: ``finding.id``, ``triage.status`` (the status in force at the query's ``now``: an accepted risk
past its expiry reads ``NEW``), ``triage.assignee``, ``triage.expires``, ``triage.modified`` and
``triage.modified_by``. A finding nobody triaged has no record (it is ``NEW``), so a list of findings joins
it with ``lookup`` and ``coalesce(triage.status, "NEW")``. The table has no timeframe: triage is state,
not events. The store keeps it (table ``triage``, mirrored from the settings state on every change).
"""

from __future__ import annotations

from sqlglot import exp

from threatlake.query.dtypes import STRING, TIMESTAMP, DType, Typed
from threatlake.query.frame import Ctx, Frame, alias

__all__ = ["TRIAGE_FIELDS", "triage_table"]

_ACCEPTED, _NEW = "RISK_ACCEPTED", "NEW"

TRIAGE_FIELDS: dict[str, DType] = {
    "finding.id": STRING,
    "triage.status": STRING,
    "triage.assignee": STRING,
    "triage.expires": TIMESTAMP,
    "triage.modified": TIMESTAMP,
    "triage.modified_by": STRING,
}


def _status(ctx: Ctx) -> exp.Expression:
    """The stored status, except an accepted risk whose expiry has passed at ``now``: ``NEW``."""
    stored, expires = exp.column("triage.status", quoted=True), exp.column("triage.expires", quoted=True)
    lapsed = exp.and_(
        exp.EQ(this=stored.copy(), expression=exp.Literal.string(_ACCEPTED)),
        exp.LTE(this=expires, expression=ctx.params.add(ctx.now, "TIMESTAMP")),
    )
    return exp.Case(ifs=[exp.If(this=lapsed, true=exp.Literal.string(_NEW))], default=stored)


def triage_table(ctx: Ctx) -> Frame:
    """The mirror as a sub-query, so every later command sees plain named columns."""
    select = exp.select(
        *[
            alias(_status(ctx) if name == "triage.status" else exp.column(name, quoted=True), name)
            for name in TRIAGE_FIELDS
        ]
    ).from_(exp.Table(this=exp.to_identifier("triage")))
    source = exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(ctx.alias())))
    cols = {name: Typed(exp.column(name, quoted=True), dtype) for name, dtype in TRIAGE_FIELDS.items()}
    return Frame(source, cols, ctx.timeframe)
