"""A query's ``result`` as JSON bytes, within ``maxResultBytes``, built on the worker thread.

Serializing a large result is CPU work that must never run on the event loop, and a result is bounded in
bytes as well as in records: past ``max_bytes`` the records that fit are kept and a ``RESULT_TRUNCATED``
notification says so (as ``maxResultRecords`` does for records).
"""

from __future__ import annotations

from itertools import accumulate
from typing import Any

import orjson
import pyarrow as pa

from threatlake.query import CompiledQuery, to_result

__all__ = ["serialize_result"]

#: Room left for the result's metadata and types when records are cut to fit ``max_bytes``.
_ENVELOPE = 4096


def serialize_result(compiled: CompiledQuery, table: pa.Table, *, max_bytes: int, execution_ms: int) -> bytes:
    scanned = table.num_rows
    sliced = bool(table.num_rows) and table.nbytes > 2 * max_bytes
    if sliced:
        # shaping records costs several times their JSON in memory: never shape far more than can be sent
        keep = max(1, int(table.num_rows * 2 * max_bytes / table.nbytes))
        table = table.slice(0, keep)
    result = to_result(compiled, table, scanned_records=scanned, execution_ms=execution_ms)
    data = orjson.dumps(result)
    if len(data) <= max_bytes and not sliced:
        return data
    sizes = [len(orjson.dumps(record)) + 1 for record in result["records"]]
    budget = max(max_bytes - _ENVELOPE, 0)
    fits = sum(1 for total in accumulate(sizes) if total <= budget)
    cut = to_result(compiled, table.slice(0, fits), scanned_records=scanned, execution_ms=execution_ms)
    _notify(cut, fits, max_bytes)
    return orjson.dumps(cut)


def _notify(result: dict[str, Any], kept: int, max_bytes: int) -> None:
    grail = result.setdefault("metadata", {}).setdefault("grail", {})
    grail.setdefault("notifications", []).append(
        {
            "severity": "WARNING",
            "notificationType": "RESULT_TRUNCATED",
            "message": f"The result was truncated to {kept} records to stay within {max_bytes} bytes "
            "(maxResultBytes).",
        }
    )
