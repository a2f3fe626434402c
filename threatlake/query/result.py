"""Rows from the store → the API result shape of ``docs/dql.md``.

``{"records": [...], "types": [{"indexRange": [i, j], "mappings": {field: {"type": t}}}],
"metadata": {"grail": {...}}}``: longs and durations (nanoseconds) as strings, timestamps as ISO 8601
with nine fractional digits and Z.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from threatlake.query.compiler import CompiledQuery
from threatlake.query.dtypes import DType

__all__ = ["format_timestamp", "to_result"]


def format_timestamp(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}000Z"


def _dynamic(value: Any) -> Any:
    """A JSON value (parsed): numbers that are integers travel as strings, like longs."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_dynamic(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _dynamic(v) for k, v in value.items()}
    return str(value)


def _dynamic_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "record"
    return "string"


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _format(value: Any, dtype: DType) -> Any:
    if value is None:
        return None
    kind = dtype.kind
    if kind == "json":
        return _dynamic(_json(value))
    if kind in ("long", "duration"):
        if isinstance(value, timedelta):
            return str(value // timedelta(microseconds=1) * 1000)
        return str(int(value))
    if kind == "double":
        number = float(value)
        return number if math.isfinite(number) else None  # overflow and NaN are null, as on the platform
    if kind == "timestamp":
        if isinstance(value, datetime):
            return format_timestamp(value)
        if isinstance(value, date):
            return format_timestamp(datetime(value.year, value.month, value.day))
        return str(value)
    if kind == "array":
        item = dtype.item or DType("json")
        return [_format(v, item) for v in value]
    if kind == "record":
        if not isinstance(value, dict):
            return _dynamic(_json(value))
        types = dict(dtype.fields or ())
        return {k: _format(v, types.get(k, DType("json"))) for k, v in value.items()}
    if kind == "boolean":
        return bool(value)
    if kind == "null":
        return _dynamic(value)
    return value if isinstance(value, str) else str(value)


def _type_name(value: Any, dtype: DType) -> str:
    if dtype.kind == "json":
        return _dynamic_type(_json(value))
    if dtype.kind == "null":
        return "string"
    return dtype.kind


def _rows(compiled: CompiledQuery, data: Any) -> list[Sequence[Any]]:
    names = list(compiled.columns) + ([compiled.extra_column] if compiled.extra_column else [])
    if hasattr(data, "to_pydict"):  # a pyarrow Table
        columns = data.to_pydict()
        series = [columns.get(name, [None] * data.num_rows) for name in names]
        return list(zip(*series, strict=True)) if series else [() for _ in range(data.num_rows)]
    return [tuple(row) for row in data]


def to_result(
    compiled: CompiledQuery,
    data: Any,
    *,
    scanned_records: int = 0,
    scanned_bytes: int = 0,
    execution_ms: int = 0,
) -> dict[str, Any]:
    """Shape ``data`` (a pyarrow Table, or rows in ``compiled.columns`` order) as the API's ``result``."""
    rows = _rows(compiled, data)
    notifications: list[dict[str, Any]] = [dict(note) for note in compiled.notifications]
    if len(rows) > compiled.max_records:
        rows = rows[: compiled.max_records]
        notifications.append(
            {
                "severity": "WARNING",
                "notificationType": "RESULT_TRUNCATED",
                "message": f"The result was truncated to {compiled.max_records} records (maxResultRecords).",
            }
        )
    records: list[dict[str, Any]] = []
    types: list[dict[str, Any]] = []
    width = len(compiled.columns)
    for index, row in enumerate(rows):
        record: dict[str, Any] = {}
        mapping: dict[str, dict[str, str]] = {}
        for name, dtype, value in zip(compiled.columns, compiled.types, row[:width], strict=True):
            if value is None and compiled.sparse:
                continue
            record[name] = _format(value, dtype)
            mapping[name] = {"type": _type_name(value, dtype)}
        if compiled.extra_column and len(row) > width and row[width] is not None:
            extra = _json(row[width])
            if isinstance(extra, dict):
                for key, value in extra.items():
                    if key not in record and value is not None and key not in compiled.hidden:
                        record[key] = _dynamic(value)
                        mapping[key] = {"type": _dynamic_type(value)}
        records.append(record)
        if types and types[-1]["mappings"] == mapping:
            types[-1]["indexRange"][1] = index
        else:
            types.append({"indexRange": [index, index], "mappings": mapping})
    start, end = compiled.timeframe
    grail = {
        "query": compiled.query,
        "canonicalQuery": compiled.canonical,
        "timezone": "Z",
        "scannedRecords": scanned_records,
        "scannedBytes": scanned_bytes,
        "executionTimeMilliseconds": execution_ms,
        "analysisTimeframe": {"start": format_timestamp(start), "end": format_timestamp(end)},
        "notifications": notifications,
    }
    return {"records": records, "types": types, "metadata": {"grail": grail}}
