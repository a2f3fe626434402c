"""The statements of a fold: the newest pending row per finding key upserted into ``latest``, its flag kept.

A fold touches few rows of a large ``latest`` (the findings of the pending writes), so it finds them first
and works on them alone, instead of joining every row of ``latest`` three times over:

1. ``candidates``: the rows of ``latest`` whose ``DIGEST`` (a 64-bit hash of ``finding.id``, one integer
   column) is among the winners' — every row of every finding the fold touches (a hash collision only adds
   rows, which the exact comparisons below leave as they are). The engine filters that one narrow column
   while it scans; the string keys are read for the few rows that pass.
2. ``plan``: from the winners and those candidates alone, which rows of ``latest`` the winners supersede
   (``gone``), which winners go in (``rid`` null), and the ``NEWEST`` flag every row of those findings gets
   (a finding's rows are all candidates, so its flag is decided here exactly as over all of ``latest``).
3. ``apply``: delete the superseded rows and update the flags by ``rowid`` (the engine narrows its scan to
   those row ids), and insert the new winners with their flag and digest.

Older never replaces newer (``newer``: a later version, or the same one with a greater id), and a store's
digests always come from the same engine's ``hash`` (checked and recomputed on open: ``Statements.
stale_digest``), so a changed hash function never hides a row from a fold.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlglot import exp

from threatlake.store.duckdb.statements import DIGEST, NEWEST, newer, newest_first, same_key, table
from threatlake.store.schema import COLUMNS, LATEST, LATEST_KEY, column, identifier

__all__ = ["FoldStatements", "digest"]

_ID = "event.id"
_TIME = "timestamp"
_FINDING = "finding.id"
_RID = "rid"  # a candidate's ``rowid`` in ``latest``; null for a winner that goes in
_WAS = "was"  # a candidate's flag before the fold
_FIRST = "first"  # the flag after it
_GONE = "gone"  # the candidate is superseded by a winner
_SUPERSEDED = "superseded"  # the plan's table of superseded candidates


def digest(of: exp.Expr) -> exp.Expr:
    """The ``DIGEST`` of a ``finding.id`` value: the engine's 64-bit hash (a null id has one too)."""
    return exp.func("HASH", of)


def _rowid(alias: str | None = None) -> exp.Column:
    return exp.Column(this=exp.to_identifier("rowid"), table=exp.to_identifier(alias) if alias else None)


def _null(kind: str) -> exp.Expr:
    return exp.Cast(this=exp.null(), to=exp.DataType.build(kind))


def _candidates(winners: str) -> exp.Expr:
    keys = [column(name, "l") for name in (*LATEST_KEY, _TIME, _ID)]
    touched = exp.select(digest(column(_FINDING, "w"))).from_(table(winners, "w"))
    return (
        exp.select(
            exp.alias_(_rowid("l"), identifier(_RID)),
            *keys,
            exp.alias_(column(NEWEST, "l"), identifier(_WAS)),
        )
        .from_(table(LATEST, "l"))
        .where(exp.In(this=column(DIGEST, "l"), query=exp.Subquery(this=touched)))
    )


def _plan(names: str) -> exp.Expr:
    winners, candidates = names.split(" ")
    gone = (
        exp.select(column(_RID, "c"))
        .from_(table(candidates, "c"))
        .join(table(winners, "w"), on=exp.and_(same_key("c", "w"), newer("w", "c")))
    )
    older_only = exp.Not(
        this=exp.Exists(
            this=exp.select(exp.Literal.number(1))
            .from_(table(candidates, "c"))
            .where(exp.and_(same_key("c", "w"), exp.Not(this=exp.paren(newer("w", "c")))))
        )
    )
    kept = exp.union(
        exp.select(
            column(_RID, "c"), column(_FINDING, "c"), column(_TIME, "c"), column(_ID, "c"), column(_WAS, "c")
        )
        .from_(table(candidates, "c"))
        .where(
            exp.Not(
                this=exp.In(
                    this=column(_RID, "c"),
                    query=exp.Subquery(this=exp.select(column(_RID)).from_(table(_SUPERSEDED))),
                )
            )
        ),
        exp.select(
            exp.alias_(_null("BIGINT"), identifier(_RID)),
            column(_FINDING, "w"),
            column(_TIME, "w"),
            column(_ID, "w"),
            exp.alias_(_null("BOOLEAN"), identifier(_WAS)),
        )
        .from_(table(winners, "w"))
        .where(older_only),
        distinct=False,
    )
    flagged = exp.select(
        column(_RID),
        exp.alias_(column(_ID), identifier("id")),
        column(_WAS),
        exp.alias_(newest_first((_FINDING,)), identifier(_FIRST)),
        exp.alias_(exp.false(), identifier(_GONE)),
    ).from_(table("kept"))
    removed = exp.select(
        column(_RID),
        exp.alias_(_null("VARCHAR"), identifier("id")),
        exp.alias_(_null("BOOLEAN"), identifier(_WAS)),
        exp.alias_(_null("BOOLEAN"), identifier(_FIRST)),
        exp.alias_(exp.true(), identifier(_GONE)),
    ).from_(table(_SUPERSEDED))
    return exp.union(flagged, removed, distinct=False).with_(_SUPERSEDED, as_=gone).with_("kept", as_=kept)


def _delete(plan: str) -> exp.Expr:
    rows = exp.select(column(_RID)).from_(table(plan)).where(column(_GONE))
    return exp.Delete(
        this=table(LATEST), where=exp.Where(this=exp.In(this=_rowid(), query=exp.Subquery(this=rows)))
    )


def _insert(names: str) -> exp.Expr:
    winners, plan = names.split(" ")
    target = [identifier(col.name) for col in COLUMNS] + [identifier(NEWEST), identifier(DIGEST)]
    values = [column(col.name, "w") for col in COLUMNS] + [column(_FIRST, "p"), digest(column(_FINDING, "w"))]
    source = (
        exp.select(*values)
        .from_(table(winners, "w"))
        .join(table(plan, "p"), on=exp.EQ(this=column("id", "p"), expression=column(_ID, "w")))
        .where(exp.Is(this=column(_RID, "p"), expression=exp.null()))
    )
    return exp.Insert(this=exp.Schema(this=table(LATEST), expressions=target), expression=source)


def _update(plan: str) -> exp.Expr:
    changed = exp.and_(
        exp.Not(this=column(_GONE, "p")),
        exp.EQ(this=_rowid(LATEST), expression=column(_RID, "p")),
        exp.NullSafeNEQ(this=column(_WAS, "p"), expression=column(_FIRST, "p")),
    )
    return exp.Update(
        this=table(LATEST),
        expressions=[exp.EQ(this=column(NEWEST), expression=column(_FIRST, "p"))],
        from_=exp.From(this=table(plan, "p")),
        where=exp.Where(this=changed),
    )


_TREES: dict[str, Callable[[str], exp.Expr]] = {
    "candidates": _candidates,
    "plan": _plan,
    "delete": _delete,
    "insert": _insert,
    "update": _update,
}


class FoldStatements:
    """The fold's statements over named tables (registered Arrow tables), rendered once each by ``render``."""

    def __init__(self, render: Callable[[exp.Expr], str]) -> None:
        self._render = cache(lambda key: render(_TREES[key[0]](key[1])))

    def candidates(self, winners: str) -> str:
        """``RID``, the key, ``timestamp``, ``event.id`` and flag of the rows of the winners' findings."""
        return self._render(("candidates", winners))

    def plan(self, winners: str, candidates: str) -> str:
        """One row per candidate (superseded or kept, with its new flag) and per winner that goes in."""
        return self._render(("plan", f"{winners} {candidates}"))

    def apply(self, winners: str, plan: str) -> list[str]:
        """Delete what ``plan`` supersedes, insert its winners, set its flags (in this order)."""
        return [
            self._render(("delete", plan)),
            self._render(("insert", f"{winners} {plan}")),
            self._render(("update", plan)),
        ]
