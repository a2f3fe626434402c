"""Data objects (issue 10, classes 4-5; issue 12, item 12): the legacy ``events`` view, the bucket catalogue,
tables Threatlake does not serve, and the notification for a bucket that does not exist."""

# ruff: noqa: E501  (DQL queries and expected messages read best on one line)
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from threatlake.errors import QueryError
from threatlake.model import DEFAULT_BUCKET
from threatlake.query import compile_query, to_result

from .conftest import EVENTS, NOW

LEGACY = (
    'fetch events | filter dt.system.bucket == "default_security_custom_events"'
    ' | filter event.kind == "SECURITY_EVENT" AND event.provider=="Amazon GuardDuty" AND event.type=="DETECTION_FINDING"'
)
BUCKETS = [DEFAULT_BUCKET, "custom_bucket"]


def _result(store: duckdb.DuckDBPyConnection, text: str, **options: Any) -> dict[str, Any]:
    compiled = compile_query(text, now=NOW, default_from=NOW - timedelta(days=1), **options)
    table = store.sql(compiled.sql, params=list(compiled.params)).to_arrow_table()
    return to_result(compiled, table)


def test_legacy_verify_query_returns_the_guardduty_detections(store: duckdb.DuckDBPyConnection) -> None:
    result = _result(store, LEGACY + " | sort event.id | fields event.id, dt.system.bucket", buckets=BUCKETS)
    expected = _result(
        store,
        'fetch security.events | filter dt.system.bucket == "default_securityevents" and event.provider == "Amazon GuardDuty" | sort event.id | fields event.id',
    )
    assert [r["event.id"] for r in result["records"]] == [r["event.id"] for r in expected["records"]]
    assert len(result["records"]) > 5
    assert {r["dt.system.bucket"] for r in result["records"]} == {"default_security_custom_events"}
    assert result["metadata"]["grail"]["notifications"] == []


def test_events_view_keeps_custom_bucket_names(store: duckdb.DuckDBPyConnection) -> None:
    result = _result(
        store, 'fetch events, bucket:{"custom_*"} | summarize n = count(), by:{dt.system.bucket}'
    )
    by_bucket = Counter(str(event["dt.system.bucket"]) for event in EVENTS)
    assert result["records"] == [{"dt.system.bucket": "custom_bucket", "n": str(by_bucket["custom_bucket"])}]
    native = _result(
        store, "fetch security.events | summarize n = count(), by:{dt.system.bucket} | sort n desc"
    )
    assert native["records"][0] == {"dt.system.bucket": DEFAULT_BUCKET, "n": str(by_bucket[DEFAULT_BUCKET])}


@pytest.mark.parametrize(
    ("text", "missing", "column"),
    [
        (
            'fetch security.events | filter dt.system.bucket == "default_security_custom_events"',
            "default_security_custom_events",
            52,
        ),
        ('fetch events | filter in(dt.system.bucket, {"custom_bucket", "nope"})', "nope", 62),
        ('fetch security.events, bucket:{"nothing_*"}', "nothing_*", 32),
    ],
)
def test_unknown_bucket_adds_a_notification(
    store: duckdb.DuckDBPyConnection, text: str, missing: str, column: int
) -> None:
    notes = _result(store, text, buckets=BUCKETS)["metadata"]["grail"]["notifications"]
    shown = (
        "custom_bucket, default_security_custom_events"
        if text.startswith("fetch events")
        else "custom_bucket, default_securityevents"
    )
    assert notes == [
        {
            "severity": "WARNING",
            "notificationType": "UNKNOWN_BUCKET",
            "message": f"No bucket is named '{missing}'; the buckets are: {shown}.",
            "syntaxPosition": {"start": {"line": 1, "column": column}},
        }
    ]


def test_no_notification_without_the_store_buckets(store: duckdb.DuckDBPyConnection) -> None:
    assert (
        _result(store, 'fetch events | filter dt.system.bucket == "x"')["metadata"]["grail"]["notifications"]
        == []
    )


def test_bucket_catalogue_fields(store: duckdb.DuckDBPyConnection) -> None:
    records = _result(store, "fetch dt.system.buckets | sort name")["records"]
    assert records == [
        {"name": "custom_bucket", "display_name": "custom_bucket", "table": "security.events", "status": "active",
         "retention_days": "7", "type": "custom", "updatable": True, "version": "1", "records": "4", "created": None},
        {"name": DEFAULT_BUCKET, "display_name": DEFAULT_BUCKET, "table": "security.events", "status": "active",
         "retention_days": "35", "type": "default", "updatable": False, "version": "1", "records": "26",
         "created": "2025-01-01T00:00:00.000000000Z"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "source", "column"),
    [
        (
            "fetch security.events | lookup [fetch logs | fields a], sourceField:event.id, lookupField:a",
            "logs",
            39,
        ),
        ("fetch security.events | join [fetch dt.entity.host], on:{event.id}", "dt.entity.host", 37),
        ("fetch security.events | append [fetch bizevents]", "bizevents", 39),
        (
            "fetch security.events | filter object.id in [fetch dt.entity.host | fields id]",
            "dt.entity.host",
            52,
        ),
    ],
)
def test_unserved_table_in_a_sub_query_is_positioned_there(text: str, source: str, column: int) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(text, now=datetime(2026, 1, 1))
    assert info.value.reason.startswith(
        f"Threatlake does not serve '{source}': it holds security events only"
    )
    assert (info.value.line, info.value.column, info.value.text) == (1, column, source)
