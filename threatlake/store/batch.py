"""Running a statement over one batch of events in memory: the executor of pipelines.

A pipeline compiles to one SQL statement over a relation named ``batch`` with the events schema
(``threatlake.pipeline.processors``). ``BatchExecutor`` registers an Arrow table under that name on its own
in-memory DuckDB connection, runs the statement and returns an Arrow table with ``ARROW_SCHEMA`` again, so the
result can be written to the store as it is. It never touches the store's database.

Thread safety: one executor holds one connection, and a lock serializes its runs (registering ``batch`` is
per connection). Share one executor between threads, or give each busy thread its own for parallelism.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from threatlake.errors import StoreError
from threatlake.model import Event, format_timestamp
from threatlake.store.arrow import ARROW_SCHEMA, to_table
from threatlake.store.schema import EXTRA

__all__ = ["BATCH", "BatchExecutor", "to_events"]

BATCH = "batch"


class BatchExecutor:
    """An in-memory DuckDB connection that runs statements over ``batch`` (see the module doc)."""

    def __init__(self) -> None:
        self._conn = duckdb.connect(":memory:")
        self._lock = threading.Lock()

    def run_on_batch(self, table: pa.Table, sql: str, params: Sequence[object] = ()) -> pa.Table:
        """``sql`` run with ``table`` as ``batch``; the result conformed to ``ARROW_SCHEMA``."""
        with self._lock:
            self._conn.register(BATCH, table)
            try:
                result = self._conn.sql(sql, params=list(params)).to_arrow_table()
            except duckdb.Error as error:
                raise StoreError(f"pipeline statement failed: {error}") from None
            finally:
                self._conn.unregister(BATCH)
        return conform(result)

    def to_table(self, events: list[Event]) -> pa.Table:
        return to_table(events)

    def to_events(self, table: pa.Table) -> list[Event]:
        return to_events(table)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> BatchExecutor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def conform(table: pa.Table) -> pa.Table:
    """``table`` with exactly ``ARROW_SCHEMA`` (DuckDB may return other string or JSON types)."""
    if table.schema.equals(ARROW_SCHEMA):
        return table
    if table.column_names != ARROW_SCHEMA.names:
        raise StoreError(f"pipeline result has columns {table.column_names[:5]}..., not the events schema")
    try:
        return table.cast(ARROW_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise StoreError(f"pipeline result does not fit the events schema: {error}") from None


def _empty(value: Any) -> bool:
    return value is None or value in ("", [])


def _time_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value.replace(tzinfo=UTC) if value.tzinfo is None else value)
    return value


def to_events(table: pa.Table) -> list[Event]:
    """Event dicts as the mapping writes them: absent rather than empty, timestamps as ISO text, and the
    keys of ``extra`` spread back out."""
    names = table.column_names
    columns: list[list[Any]] = []
    for column in table.columns:
        values = column.to_pylist()
        if pa.types.is_timestamp(column.type):
            values = [_time_text(value) for value in values]
        columns.append(values)
    events: list[Event] = []
    for row in zip(*columns, strict=True):
        event: Event = {}
        for name, value in zip(names, row, strict=True):
            if _empty(value):
                continue
            if name == EXTRA:
                extra = orjson.loads(value)
                event.update({key: item for key, item in extra.items() if not _empty(item)})
            else:
                event[name] = value
        events.append(event)
    return events
