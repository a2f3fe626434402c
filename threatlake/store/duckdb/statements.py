"""The statements a store runs to write, fold ``latest``, manage buckets and sweep retention.

Each is a sqlglot tree over names we own (tables, quoted columns); every value is a ``?`` parameter. Trees are
rendered once per store in its dialect and reused, since they never change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlglot import exp

from threatlake.model import DEFAULT_BUCKET
from threatlake.store.schema import (
    BUCKETS,
    COLUMNS,
    EVENTS,
    LATEST,
    LATEST_KEY,
    LATEST_STATE,
    TRIAGE,
    TRIAGE_COLUMNS,
    column,
    identifier,
)

__all__ = [
    "DIGEST",
    "LOOKUP_IDS",
    "NEWEST",
    "ROW",
    "Statements",
    "digest_column",
    "newer",
    "newest_column",
    "newest_first",
    "same_key",
    "table",
]

#: Ids looked up per statement by ``lookup_ids`` (a fixed count, so one prepared text serves every batch).
LOOKUP_IDS = 2048

ROW = "_threatlake_row"
#: ``latest``'s flag (not an event field): true on the newest row of its ``finding.id`` among the rows
#: ``latest`` holds (ties: the greater ``event.id``), i.e. the newest stored version of that finding.
NEWEST = "newest_of_finding"
#: ``latest``'s 64-bit hash of ``finding.id`` (not an event field): a fold finds the rows of the findings it
#: touches by this one integer column (``fold.py``).
DIGEST = "finding_digest"
_ID = "event.id"
_TIME = "timestamp"
_BUCKET = "dt.system.bucket"


def table(name: str, alias: str | None = None) -> exp.Table:
    table = exp.Table(this=identifier(name))
    return table.as_(identifier(alias)) if alias else table  # type: ignore[return-value]


def _columns(table: str | None = None) -> list[exp.Expr]:
    return [column(col.name, table) for col in COLUMNS]


def _insert(target: str, source: exp.Select) -> exp.Insert:
    return exp.Insert(
        this=exp.Schema(this=table(target), expressions=[identifier(col.name) for col in COLUMNS]),
        expression=source,
    )


def same_key(left: str, right: str) -> exp.Expr:
    """Both rows describe the same finding state (a missing key part matches a missing one)."""
    return exp.and_(
        *(exp.NullSafeEQ(this=column(name, left), expression=column(name, right)) for name in LATEST_KEY)
    )


def _version(table: str) -> exp.Expr:
    """A row's version time; a row without one is older than any row with one."""
    floor = exp.Cast(this=exp.Literal.string("-infinity"), to=exp.DataType.build("TIMESTAMP"))
    return exp.func("COALESCE", column(_TIME, table), floor)


def newer(new: str, old: str) -> exp.Expr:
    """``new`` supersedes ``old``: a later version, or the same one with a greater id (a stable tie-break)."""
    later = exp.GT(this=_version(new), expression=_version(old))
    same = exp.EQ(this=_version(new), expression=_version(old))
    return exp.or_(later, exp.and_(same, exp.GT(this=column(_ID, new), expression=column(_ID, old))))


def _bucket_is(table: str | None = None) -> exp.Expr:
    """An event's bucket: ``dt.system.bucket``, or the default bucket when the event names none."""
    bucket = exp.func("COALESCE", column(_BUCKET, table), exp.Literal.string(DEFAULT_BUCKET))
    return exp.EQ(this=bucket, expression=exp.Placeholder())


class Statements:
    """Every statement, rendered by ``render`` (a backend's ``tree → SQL text`` in its dialect)."""

    def __init__(self, render: Callable[[exp.Expr], str]) -> None:
        self._render = cache(lambda key: render(_TREES[key[0]](key[1])))

    def known_ids(self, staging: str) -> str:
        """The ids of ``staging`` that ``events`` already holds (one scan of the stored ids)."""
        return self._render(("known_ids", staging))

    def count_events(self) -> str:
        return self._render(("count_events", ""))

    def lookup_ids(self) -> str:
        """The stored ids among ``LOOKUP_IDS`` bound ids (point lookups in the primary-key index)."""
        return self._render(("lookup_ids", ""))

    def insert_events(self, fresh: str) -> str:
        return self._render(("insert_events", fresh))

    def winner_rows(self, fresh: str) -> str:
        """The ``ROW`` column of the newest row per finding key of ``fresh`` (one row per key)."""
        return self._render(("winner_rows", fresh))

    def rebuild_latest(self) -> list[str]:
        """Recompute ``latest`` from ``events`` (after a crash left it behind), ``DIGEST`` and ``NEWEST``
        with it."""
        names = ("clear_latest", "fill_latest", "set_digests", "flag_newest")
        return [self._render((name, "")) for name in names]

    def stale_digest(self) -> str:
        """One row when a row of ``latest`` has no ``DIGEST`` or one this engine's hash does not give (just
        migrated, or a new engine version hashing differently)."""
        return self._render(("stale_digest", ""))

    def set_digests(self) -> str:
        """Set ``DIGEST`` on every row of ``latest`` that ``stale_digest`` would find."""
        return self._render(("set_digests", ""))

    def flag_newest(self) -> str:
        """Set ``NEWEST`` on every row of ``latest`` (after rows of it were deleted)."""
        return self._render(("flag_newest", ""))

    def unflagged(self) -> str:
        """One row when a row of ``latest`` has no ``NEWEST`` yet (just migrated; a fold leaves none)."""
        return self._render(("unflagged", ""))

    def latest_folded(self) -> list[str]:
        """Create the one-row flag saying whether ``latest`` holds every stored event (a new store: yes)."""
        return [self._render((name, "")) for name in ("latest_state_ddl", "init_latest_state")]

    def read_latest_folded(self) -> str:
        return self._render(("read_latest_folded", ""))

    def set_latest_folded(self) -> str:
        """Set the flag to the bound boolean (false in the first write after a fold, true by each fold)."""
        return self._render(("set_latest_folded", ""))

    def newest_latest(self) -> str:
        """The greatest ``timestamp`` in ``latest``."""
        return self._render(("newest_latest", ""))

    def list_buckets(self) -> str:
        return self._render(("list_buckets", ""))

    def insert_bucket(self) -> str:
        return self._render(("insert_bucket", ""))

    def delete_bucket(self) -> str:
        return self._render(("delete_bucket", ""))

    def delete_events(self, table: str) -> str:
        return self._render(("delete_events", table))

    def triage_upsert(self, staging: str) -> list[str]:
        """Replace the ``triage`` rows of the findings in ``staging`` by its rows."""
        return [self._render((name, staging)) for name in ("drop_triage", "insert_triage")]

    def triage_clear(self) -> str:
        return self._render(("clear_triage", ""))

    def expire(self, table: str) -> str:
        """Delete the rows of one bucket (param 1) older than a cutoff (param 2)."""
        return self._render(("expire", table))


def _known_ids(staging: str) -> exp.Expr:
    ids = exp.select(column(_ID)).from_(table(staging))
    return (
        exp.select(column(_ID, "e"))
        .from_(table(EVENTS, "e"))
        .where(exp.In(this=column(_ID, "e"), query=exp.Subquery(this=ids)))
    )


def _lookup_ids(_: str) -> exp.Expr:
    wanted = [exp.Placeholder() for _ in range(LOOKUP_IDS)]
    return exp.select(column(_ID)).from_(table(EVENTS)).where(exp.In(this=column(_ID), expressions=wanted))


def newest_first(keys: tuple[str, ...] = LATEST_KEY, table: str | None = None) -> exp.Expr:
    """``= 1`` for the newest row of its ``keys`` (the finding key; ties: the greater id, as ``_newer``
    decides)."""
    rank = exp.Window(
        this=exp.func("ROW_NUMBER"),
        partition_by=[column(name, table) for name in keys],
        order=exp.Order(
            expressions=[
                exp.Ordered(this=column(_TIME, table), desc=True, nulls_first=False),
                exp.Ordered(this=column(_ID, table), desc=True, nulls_first=False),
            ]
        ),
    )
    return exp.EQ(this=rank, expression=exp.Literal.number(1))


def _winner_rows(fresh: str) -> exp.Expr:
    """The ``ROW`` numbers of the newest row per finding key in ``fresh``."""
    return exp.select(column(ROW)).from_(table(fresh)).qualify(newest_first())


def _fill_latest(_: str) -> exp.Expr:
    return _insert(LATEST, exp.select(*_columns()).from_(table(EVENTS)).qualify(newest_first()))


def newest_column() -> exp.Expr:
    """DuckDB migration 5: ``latest`` gains the ``NEWEST`` flag, null on the rows it holds until the store
    opens and sets it (``Statements.unflagged``)."""
    flag = exp.ColumnDef(this=identifier(NEWEST), kind=exp.DataType.build("BOOLEAN"), exists=True)
    return exp.Alter(this=table(LATEST), kind="TABLE", actions=[flag])


def digest_column() -> exp.Expr:
    """DuckDB migration 6: ``latest`` gains ``DIGEST``, null on the rows it holds until the store opens and
    sets it (``Statements.stale_digest``)."""
    digest = exp.ColumnDef(
        this=identifier(DIGEST), kind=exp.DataType.build("UBIGINT", dialect="duckdb"), exists=True
    )
    return exp.Alter(this=table(LATEST), kind="TABLE", actions=[digest])


def _stale(_: str = "") -> exp.Expr:
    return exp.NullSafeNEQ(this=column(DIGEST), expression=exp.func("HASH", column("finding.id")))


def _flag_newest(touched: str) -> exp.Expr:
    """Set ``NEWEST`` from the rows ``latest`` holds, for the findings of the table ``touched`` (every
    finding when ``""``); only the rows whose flag changes are written. A missing ``finding.id`` is one
    finding, as ``dedup`` partitions it."""
    first = newest_first(("finding.id",), "l")
    ranked = exp.select(
        exp.alias_(column(_ID, "l"), identifier("id")), exp.alias_(first, identifier("first"))
    ).from_(table(LATEST, "l"))
    if touched:
        same = exp.NullSafeEQ(this=column("finding.id", "w"), expression=column("finding.id", "l"))
        held = exp.select(exp.Literal.number(1)).from_(table(touched, "w")).where(same)
        ranked = ranked.where(exp.Exists(this=held))
    changed = exp.and_(
        exp.EQ(this=column(_ID, LATEST), expression=column("id", "r")),
        exp.NullSafeNEQ(this=column(NEWEST, LATEST), expression=column("first", "r")),
    )
    return exp.Update(
        this=table(LATEST),
        expressions=[exp.EQ(this=column(NEWEST), expression=column("first", "r"))],
        from_=exp.From(this=exp.Subquery(this=ranked, alias=exp.TableAlias(this=identifier("r")))),
        where=exp.Where(this=changed),
    )


def _latest_state_ddl(_: str) -> exp.Expr:
    folded = exp.ColumnDef(
        this=identifier("folded"),
        kind=exp.DataType.build("BOOLEAN"),
        constraints=[exp.ColumnConstraint(kind=exp.NotNullColumnConstraint())],
    )
    return exp.Create(
        this=exp.Schema(this=table(LATEST_STATE), expressions=[folded]), kind="TABLE", exists=True
    )


def _init_latest_state(_: str) -> exp.Expr:
    """The flag's one row, ``true``: a new store is folded, and so is one kept by the synchronous fold."""
    held = exp.select(exp.Literal.number(1)).from_(table(LATEST_STATE))
    return exp.Insert(
        this=table(LATEST_STATE),
        expression=exp.select(exp.true()).where(exp.Not(this=exp.Exists(this=held))),
    )


def _delete_where(target: str, condition: exp.Expr) -> exp.Expr:
    return exp.Delete(this=table(target), where=exp.Where(this=condition))


_BUCKET_COLUMNS = ("name", "retention_days", "created")


def _list_buckets(_: str) -> exp.Expr:
    names = [column(name) for name in _BUCKET_COLUMNS]
    return exp.select(*names).from_(table(BUCKETS)).order_by(column("name"))


def _insert_bucket(_: str) -> exp.Expr:
    placeholders = exp.Tuple(expressions=[exp.Placeholder() for _ in _BUCKET_COLUMNS])
    return exp.Insert(
        this=exp.Schema(this=table(BUCKETS), expressions=[identifier(name) for name in _BUCKET_COLUMNS]),
        expression=exp.Values(expressions=[placeholders]),
    )


def _delete_bucket(_: str) -> exp.Expr:
    return _delete_where(BUCKETS, exp.EQ(this=column("name"), expression=exp.Placeholder()))


def _expire(table: str) -> exp.Expr:
    # Retention counts from when an event arrived: a finding from 2019 backfilled today is kept its
    # bucket's full retention, not deleted at once. Events without an ingest time fall back to theirs.
    arrived = exp.func("COALESCE", column("dt.ingest.time"), column(_TIME))
    older = exp.LT(this=arrived, expression=exp.Placeholder())
    return _delete_where(table, exp.and_(_bucket_is(), older))


def _drop_triage(staging: str) -> exp.Expr:
    ids = exp.select(column("finding.id")).from_(table(staging))
    return _delete_where(TRIAGE, exp.In(this=column("finding.id"), query=exp.Subquery(this=ids)))


def _insert_triage(staging: str) -> exp.Expr:
    names = list(TRIAGE_COLUMNS)
    return exp.Insert(
        this=exp.Schema(this=table(TRIAGE), expressions=[identifier(name) for name in names]),
        expression=exp.select(*[column(name) for name in names]).from_(table(staging)),
    )


_TREES: dict[str, Callable[[str], exp.Expr]] = {
    "known_ids": _known_ids,
    "lookup_ids": _lookup_ids,
    "count_events": lambda _: exp.select(exp.func("COUNT", exp.Star())).from_(table(EVENTS)),
    "insert_events": lambda fresh: _insert(EVENTS, exp.select(*_columns()).from_(table(fresh))),
    "winner_rows": _winner_rows,
    "clear_latest": lambda _: exp.Delete(this=table(LATEST)),
    "fill_latest": _fill_latest,
    "flag_newest": _flag_newest,
    "stale_digest": lambda _: exp.select(exp.Literal.number(1)).from_(table(LATEST)).where(_stale()).limit(1),
    "set_digests": lambda _: exp.Update(
        this=table(LATEST),
        expressions=[exp.EQ(this=column(DIGEST), expression=exp.func("HASH", column("finding.id")))],
        where=exp.Where(this=_stale()),
    ),
    "unflagged": lambda _: (
        exp.select(exp.Literal.number(1))
        .from_(table(LATEST))
        .where(exp.Is(this=column(NEWEST), expression=exp.null()))
        .limit(1)
    ),
    "latest_state_ddl": _latest_state_ddl,
    "init_latest_state": _init_latest_state,
    "read_latest_folded": lambda _: exp.select(column("folded")).from_(table(LATEST_STATE)),
    "set_latest_folded": lambda _: exp.update(table(LATEST_STATE), {"folded": exp.Placeholder()}),
    "newest_latest": lambda _: exp.select(exp.func("MAX", column(_TIME))).from_(table(LATEST)),
    "list_buckets": _list_buckets,
    "insert_bucket": _insert_bucket,
    "delete_bucket": _delete_bucket,
    "delete_events": lambda table: _delete_where(table, _bucket_is()),
    "expire": _expire,
    "drop_triage": _drop_triage,
    "insert_triage": _insert_triage,
    "clear_triage": lambda _: exp.Delete(this=table(TRIAGE)),
}
