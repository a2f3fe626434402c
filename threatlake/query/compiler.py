"""DQL text → ``CompiledQuery``: parse, run the stages over a ``Frame``, generate SQL for one dialect."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlglot import exp

from threatlake.errors import QueryError
from threatlake.query import nodes as n
from threatlake.query.commands import stage_for
from threatlake.query.dialects import dialect_for
from threatlake.query.dtypes import DType
from threatlake.query.expressions import UNEXPECTED
from threatlake.query.fetch import check_buckets, fetch
from threatlake.query.frame import EXTRA, Ctx, Frame, Params
from threatlake.query.parser import parse

__all__ = ["DEFAULT_TIMEFRAME", "CompiledQuery", "compile_query", "verify"]

DEFAULT_TIMEFRAME = timedelta(hours=2)
_VERIFY_NOW = datetime(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """SQL with placeholders in the dialect's syntax (DuckDB ``$n``; ClickHouse ``{pn:Type}``, bound by name
    ``pn`` to ``params[n - 1]``) and its parameters, plus what the result needs to be shaped."""

    sql: str
    params: tuple[object, ...]
    columns: tuple[str, ...]  # output fields, in order (the extra column excluded)
    types: tuple[DType, ...]  # DQL type per output field
    timeframe: tuple[datetime, datetime]  # the analysis timeframe (UTC, naive)
    query: str
    canonical: str
    dialect: str
    max_records: int
    extra_column: str | None = None  # SQL column holding non-catalogue fields (JSON), merged into records
    sparse: bool = False  # raw events: a record omits null fields
    hidden: frozenset[str] = frozenset()  # fields of the extra column that were removed or renamed
    notifications: tuple[dict[str, object], ...] = ()  # warnings found while compiling, for the metadata
    tables: frozenset[str] = frozenset()  # the data objects the query fetches (its scopes follow from them)

    @property
    def column_types(self) -> dict[str, str]:
        return {name: dtype.kind for name, dtype in zip(self.columns, self.types, strict=True)}

    @staticmethod
    def verify(text: str, *, dialect: str = "duckdb") -> list[QueryError]:
        return verify(text, dialect=dialect)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _pipeline(ctx: Ctx, query: n.Query) -> Frame:
    first, *rest = query.commands
    if first.name != "fetch":
        raise first.pos.error(f"A query must start with fetch, not '{first.name}'{{where}}")
    frame = _stage(lambda: fetch(ctx, first), first)
    for cmd in rest:
        frame = _stage(lambda cmd=cmd, frame=frame: stage_for(cmd.name)(ctx, frame, cmd), cmd)  # type: ignore[misc]
    return frame


def _stage(run: Callable[[], Frame], cmd: n.Command) -> Frame:
    """One command; an unexpected failure becomes a QueryError at the command (the cause kept for the log)."""
    try:
        return run()
    except QueryError as error:
        if error.line:
            raise
        raise cmd.pos.error(error.reason + "{where}") from None
    except RecursionError:
        raise
    except Exception as error:
        raise cmd.pos.error(f"{UNEXPECTED}{{where}}") from error


def _renumber(tree: exp.Expression, values: list[object]) -> tuple[object, ...]:
    """Keep only the parameters the final tree uses, numbered in order of first use."""
    mapping: dict[str, str] = {}
    used: list[object] = []
    for node in tree.find_all(exp.Placeholder, bfs=False):
        old = str(node.this)
        if old not in mapping:
            used.append(values[int(old) - 1])
            mapping[old] = str(len(used))
        node.set("this", mapping[old])
    return tuple(used)


def _compile(
    text: str,
    *,
    dialect: str,
    now: datetime,
    default: tuple[datetime, datetime],
    max_records: int,
    buckets: frozenset[str] | None,
) -> CompiledQuery:
    query = parse(text)
    params = Params()
    ctx = Ctx(params, now, default, dialect, subquery=lambda q: _pipeline(ctx, q), known_buckets=buckets)
    frame = _pipeline(ctx, query)
    check_buckets(ctx)
    select = frame.select(params, cap=max_records + 1)
    values = _renumber(select, params.values)
    return CompiledQuery(
        sql=dialect_for(dialect).generate(select, values),
        params=values,
        columns=tuple(frame.cols),
        types=tuple(col.type for col in frame.cols.values()),
        timeframe=frame.timeframe,
        query=text,
        canonical=str(query),
        dialect=dialect,
        max_records=max_records,
        extra_column=EXTRA if frame.extra is not None else None,
        sparse=frame.sparse,
        hidden=frozenset(frame.hidden) if frame.extra is not None else frozenset(),
        notifications=tuple(ctx.notifications),
        tables=frozenset(ctx.tables),
    )


def compile_query(
    text: str,
    *,
    dialect: str = "duckdb",
    now: datetime,
    default_from: datetime | None = None,
    default_to: datetime | None = None,
    max_records: int = 1000,
    buckets: Collection[str] | None = None,
) -> CompiledQuery:
    """Compile DQL to SQL. Raises only ``QueryError`` (with line, column and offending text).

    ``buckets``: the store's bucket names; given, a query that tests a bucket no one has gets a notification
    naming those that exist (the compiler itself never reads the store)."""
    dialect_for(dialect)  # an unknown target is the caller's error (ValueError), not the query's
    now = _utc(now)
    end = _utc(default_to) if default_to is not None else now
    start = _utc(default_from) if default_from is not None else end - DEFAULT_TIMEFRAME
    try:
        known = frozenset(buckets) if buckets is not None else None
        return _compile(
            text,
            dialect=dialect,
            now=now,
            default=(start, end),
            max_records=max(0, max_records),
            buckets=known,
        )
    except QueryError:
        raise
    except RecursionError:  # the parser bounds nesting, so this is a compiler bug too
        raise QueryError("Query nested too deeply", 1, 1, text[:20]) from None
    except Exception as error:  # a compiler bug must still reach the user as a 400, never a 500
        raise QueryError(UNEXPECTED, 1, 1, text[:20]) from error


def verify(text: str, *, dialect: str = "duckdb") -> list[QueryError]:
    """Positioned errors of a query compiled for ``dialect`` (empty when it compiles)."""
    try:
        compile_query(text, now=_VERIFY_NOW, dialect=dialect)
    except QueryError as error:
        return [error]
    return []
