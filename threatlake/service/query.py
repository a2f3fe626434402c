"""Running a DQL query: compile for the store's dialect → execute with limits → the platform result shape.

One path for ``POST /platform/storage/query/v1/query:execute``, ``threatlake query`` and, next, dashboard
tiles, notebooks and the workflow query action. ``compile`` is cheap and raises ``QueryError`` with line and
column at once (the API answers 400 before starting a job); ``fetch`` and ``execute`` block (run them off
the event loop): past ``timeout`` seconds the engine is interrupted (``QueryTimeoutError``), and any other
store failure is a ``QueryError`` that never shows the engine's text or the generated SQL — the detail is
logged with a reference the message names.
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

from threatlake.errors import QueryError, QueryTimeoutError, StoreError
from threatlake.query import CompiledQuery, compile_query, to_result
from threatlake.query.failures import user_message
from threatlake.store import Store

__all__ = ["QueryRequest", "compile", "execute", "fetch", "run_query"]

log = logging.getLogger("threatlake.query")

Result = dict[str, Any]


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
    return compile_query(
        request.text,
        dialect=store.dialect,
        now=request.now,
        default_from=request.start,
        default_to=request.end,
        max_records=request.max_records,
        buckets=[bucket.name for bucket in store.list_buckets()],  # for the unknown-bucket notification
    )


def fetch(
    store: Store,
    compiled: CompiledQuery,
    *,
    timeout: float | None = None,
    observe: Callable[[float], None] | None = None,
) -> tuple[pa.Table, int]:
    """Run ``compiled``: the rows and the execution time in ms; ``observe`` gets it in seconds."""
    started = time.perf_counter()
    try:
        table = store.execute(compiled.sql, compiled.params, timeout=timeout)
    except QueryTimeoutError:
        raise
    except StoreError as error:
        reference = secrets.token_hex(6)
        log.warning("query %s failed in the store: %s", reference, error.message)
        message = user_message(error.message)
        raise QueryError(f"{message} (reference {reference} in the service log)") from None
    elapsed = time.perf_counter() - started
    if observe is not None:
        observe(elapsed)
    return table, int(elapsed * 1000)


def execute(
    store: Store,
    compiled: CompiledQuery,
    *,
    timeout: float | None = None,
    observe: Callable[[float], None] | None = None,
) -> Result:
    """Run ``compiled`` and shape the API's ``result``."""
    table, execution_ms = fetch(store, compiled, timeout=timeout, observe=observe)
    return to_result(compiled, table, scanned_records=table.num_rows, execution_ms=execution_ms)


def run_query(store: Store, request: QueryRequest, *, timeout: float | None = None) -> Result:
    """Compile and execute in one call (the command line; a workflow's query action)."""
    return execute(store, compile(store, request), timeout=timeout)
