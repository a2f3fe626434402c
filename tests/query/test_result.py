"""The API result shape: records, types with index ranges, metadata.grail; value formats."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from threatlake.query import compile_query, to_result

NOW = datetime(2026, 1, 1, 12)


def test_shape_and_formats() -> None:
    query = compile_query(
        "fetch events | fields t = timestamp, n = finding.count, d = now() - timestamp,"
        " s = dt.security.risk.score, r = record(a = timestamp), j = service.count",
        now=NOW,
    )
    ts = datetime(2026, 1, 1, 11, 0, 0, 123456)
    rows = [(ts, 3, 3_600_000_000_000, 9.5, {"a": ts}, '{"x": 1}'), (None, None, None, None, None, None)]
    result = to_result(query, rows, scanned_records=2, execution_ms=4)
    assert result["records"] == [
        {
            "t": "2026-01-01T11:00:00.123456000Z",
            "n": "3",
            "d": "3600000000000",
            "s": 9.5,
            "r": {"a": "2026-01-01T11:00:00.123456000Z"},
            "j": {"x": "1"},
        },
        {"t": None, "n": None, "d": None, "s": None, "r": None, "j": None},
    ]
    types = {"t": "timestamp", "n": "long", "d": "duration", "s": "double", "r": "record"}
    assert result["types"][0] == {
        "indexRange": [0, 0],
        "mappings": {k: {"type": v} for k, v in (types | {"j": "record"}).items()},
    }
    assert result["types"][1]["indexRange"] == [1, 1]
    grail = result["metadata"]["grail"]
    assert grail["analysisTimeframe"] == {
        "start": "2026-01-01T10:00:00.000000000Z",
        "end": "2026-01-01T12:00:00.000000000Z",
    }
    assert grail["canonicalQuery"].startswith("fetch events\n| fields") and grail["scannedRecords"] == 2
    assert grail["notifications"] == []


def test_raw_events_omit_absent_fields_and_merge_extra() -> None:
    query = compile_query("fetch events", now=NOW)
    table = pa.table({"event.id": ["e1"], "timestamp": [NOW], "__extra__": ['{"service.count": 3}']})
    (record,) = to_result(query, table)["records"]
    assert record == {"timestamp": "2026-01-01T12:00:00.000000000Z", "event.id": "e1", "service.count": "3"}


def test_truncation() -> None:
    query = compile_query("fetch events | fields event.id", now=NOW, max_records=2)
    result = to_result(query, [("a",), ("b",), ("c",)])
    assert [r["event.id"] for r in result["records"]] == ["a", "b"]
    assert result["metadata"]["grail"]["notifications"][0]["severity"] == "WARNING"


def test_removed_and_renamed_extra_fields_leave_the_record() -> None:
    query = compile_query(
        "fetch events | fieldsRemove service.count | fieldsRename act = service.action", now=NOW
    )
    extra = '{"service.count": 3, "service.action": "PROBE", "other": true}'
    table = pa.table({"event.id": ["e1"], "act": ['"PROBE"'], "__extra__": [extra]})
    (record,) = to_result(query, table)["records"]
    assert record == {"event.id": "e1", "act": "PROBE", "other": True}
