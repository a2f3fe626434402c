"""Running a DQL query: compile for the store's dialect → execute with limits → the platform result shape.

One path for ``POST /platform/storage/query/v1/query:execute``, ``threatlake query`` and, next, dashboard
tiles, notebooks and the workflow query action. ``compile`` raises ``QueryError`` with line and column at
once (the API answers 400 before starting a job); ``fetch`` runs the SQL (blocking: off the event loop) —
past ``timeout`` seconds the engine stops with ``QueryTimeoutError``, and any other store failure becomes a
``QueryError`` naming a reference to the service log, never the engine's text. ``execute`` shapes the
platform result as a dict (the command line, workflows); the API serializes the table on its worker instead
(``web/results.py``).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from threatlake.errors import QueryError, QueryTimeoutError, ScopeError, StoreError
from threatlake.query import CompiledQuery, compile_query, to_result
from threatlake.query.failures import user_message
from threatlake.store import Store

__all__ = [
    "QUERY_SCOPES",
    "TABLE_SCOPES",
    "QueryRequest",
    "authorize",
    "compile",
    "execute",
    "fetch",
    "run_query",
]

log = logging.getLogger("threatlake.query")

Result = dict[str, Any]

#: The scope a caller needs per data object a query fetches: the platform's names (docs/api.md, Scopes).
TABLE_SCOPES: dict[str, str] = {
    "security.events": "storage:security.events:read",
    "events": "storage:events:read",
    "dt.system.buckets": "storage:bucket-definitions:read",
    "security.triage": "storage:security.events:read",  # the triage state of the security events
}
#: Any of them lets a caller reach the query endpoints; ``authorize`` then checks the tables.
QUERY_SCOPES: tuple[str, ...] = tuple(dict.fromkeys(TABLE_SCOPES.values()))


@dataclass(frozen=True, slots=True)
class QueryRequest:
    """What a caller asks: the DQL, the default timeframe, how many records, and the time it is asked."""

    text: str
    now: datetime
    start: datetime | None = None
    end: datetime | None = None
    max_records: int = 1000


def compile(store: Store, request: QueryRequest) -> CompiledQuery:
    """The query compiled for ``store``'s dialect; ``QueryError`` with line and column when it cannot be."""
    buckets = [bucket.name for bucket in store.list_buckets()]  # for the unknown-bucket notification
    return compile_query(
        request.text,
        dialect=store.dialect,
        now=request.now,
        default_from=request.start,
        default_to=request.end,
        max_records=request.max_records,
        buckets=buckets,
    )


def authorize(compiled: CompiledQuery, scopes: tuple[str, ...] | frozenset[str]) -> None:
    """ScopeError (403) unless ``scopes`` hold the scope of every data object ``compiled`` fetches."""
    unscoped = sorted(t for t in compiled.tables if t not in TABLE_SCOPES)
    if unscoped:  # a data object added to the compiler without a scope here: nobody may read it yet
        raise ScopeError(f"No scope grants fetching {', '.join(unscoped)}")
    missing = sorted({TABLE_SCOPES[t] for t in compiled.tables} - set(scopes))
    if missing:
        tables = ", ".join(sorted(t for t in compiled.tables if TABLE_SCOPES.get(t) in missing))
        raise ScopeError(f"Fetching {tables} needs the scope {' and '.join(repr(s) for s in missing)}")


def fetch(store: Store, compiled: CompiledQuery, *, timeout: float | None = None) -> tuple[pa.Table, float]:
    """The result table and the seconds the engine took."""
    started = time.perf_counter()
    try:
        table = store.execute(compiled.sql, compiled.params, timeout=timeout)
    except QueryTimeoutError:
        raise
    except StoreError as error:
        reference = secrets.token_hex(6)
        log.warning("query %s failed in the engine: %s", reference, error.message)
        message = user_message(error.message)  # the kind of failure, never the engine's text
        raise QueryError(f"{message} (reference {reference} in the service log)") from None
    return table, time.perf_counter() - started


def execute(
    store: Store,
    compiled: CompiledQuery,
    *,
    timeout: float | None = None,
    observe: Callable[[float], None] | None = None,
) -> Result:
    """Run ``compiled`` and shape the API's ``result``; ``observe`` gets the execution time in seconds."""
    table, elapsed = fetch(store, compiled, timeout=timeout)
    if observe is not None:
        observe(elapsed)
    return to_result(compiled, table, scanned_records=table.num_rows, execution_ms=int(elapsed * 1000))


def run_query(store: Store, request: QueryRequest, *, timeout: float | None = None) -> Result:
    """Compile and execute in one call (the command line; a workflow's query action)."""
    return execute(store, compile(store, request), timeout=timeout)
