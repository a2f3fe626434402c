"""The ClickHouse store itself: its URLs, its DDL's design (the golden file: ``test_migrate.py``), the
warning for rows past retention, and the clickhouse-connect path against a real server when
``THREATLAKE_TEST_CLICKHOUSE_URL`` names one."""

from __future__ import annotations

import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.store.conftest import make_event
from tests.store.engines import FreshStore, chdb_root, fresh_chdb
from tests.store.regen import render
from threatlake.errors import StoreError
from threatlake.query import compile_query, to_result
from threatlake.store import open_store

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here


def test_the_schema_follows_the_design() -> None:
    text = render()
    for part in ("ReplacingMergeTree", "TYPE bloom_filter", "ttl_only_drop_parts = 1", "CODEC(ZSTD(3))"):
        assert part in text
    assert "ifNull(\"event.id\", ''))\nTTL" in text  # the unique id is the last key of ORDER BY


def test_chdb_url_opens_the_process_engine(chdb_root: Path, tmp_path: Path) -> None:
    store = open_store(f"chdb://{chdb_root}")
    try:
        assert store.dialect == "clickhouse"
        assert any(bucket.name == "default_securityevents" for bucket in store.list_buckets())
    finally:
        store.close()
    with pytest.raises(StoreError, match="one directory a process"):
        open_store(f"chdb://{tmp_path}")


def test_rows_past_retention_on_arrival_are_warned_about(
    fresh_chdb: FreshStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = fresh_chdb()
    now = datetime.now(UTC)
    long_ago, today = (now - timedelta(days=400)).isoformat(), now.isoformat()
    old, new = make_event("old", long_ago, {"dt.ingest.time": long_ago}), make_event("new", today)
    with caplog.at_level(logging.WARNING, logger="threatlake.store"):
        store.write([old, new])
    assert "1 of 2 events arrived past their bucket's retention" in caplog.text


def test_bound_strings_reach_chdb_unchanged(fresh_chdb: FreshStore) -> None:
    store = fresh_chdb()
    texts = ['quo"te \\" back\\slash', "tab\there", "new\nline", "end\\", "it's `x`", "\\N"]
    for text in texts:
        table = store.execute("SELECT {p1:String} AS v", (text,))
        assert table.column("v").to_pylist() == [text]


URL = os.environ.get("THREATLAKE_TEST_CLICKHOUSE_URL")


@pytest.mark.skipif(URL is None, reason="THREATLAKE_TEST_CLICKHOUSE_URL names no ClickHouse server")
def test_clickhouse_server_over_http() -> None:
    assert URL is not None
    base, _, _ = URL.rpartition("/")
    store = open_store(f"{base}/threatlake_test_{uuid.uuid4().hex[:8]}", migrate=False)
    try:
        assert [m.version for m in store.migrate().applied] == [1, 2, 3, 4, 5]
        assert not store.migrate().applied  # recorded in threatlake_migrations on the server
        now = datetime.now(UTC)
        event = make_event("http", now.isoformat(), {"dt.ingest.time": now.isoformat()})
        assert store.write([event]).stored == 1
        assert store.write([event]).duplicates == 1
        compiled = compile_query("fetch security.events | fields finding.id", dialect=store.dialect, now=now)
        records = to_result(compiled, store.execute(compiled.sql, compiled.params))["records"]
        assert records == [{"finding.id": "http"}]
    finally:
        store.close()
