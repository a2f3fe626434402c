"""The embedded store's memory bound (``store_memory_limit``) reaches the engine, and a query past it is a
clean, kind-named error — never the engine's text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from threatlake.config import Config
from threatlake.errors import QueryError
from threatlake.service.query import QueryRequest, compile, fetch, run_query
from threatlake.service.resources import open_configured_store
from threatlake.store.duckdb import DuckDBStore


def _limit(store: DuckDBStore) -> str:
    (limit,) = store.execute("select current_setting('memory_limit')").column(0).to_pylist()
    return str(limit)


def test_the_setting_reaches_the_engine(tmp_path: Path) -> None:
    bounded = open_configured_store(Config(data_dir=tmp_path / "a", store_memory_limit="64MB"))
    unbounded = open_configured_store(Config(data_dir=tmp_path / "b"))
    try:
        assert isinstance(bounded, DuckDBStore) and isinstance(unbounded, DuckDBStore)
        assert _limit(bounded).startswith("61.0") or _limit(bounded).startswith("64")
        assert _limit(unbounded) != _limit(bounded)
    finally:
        bounded.close()
        unbounded.close()


def test_a_query_past_the_bound_is_a_clean_error(tmp_path: Path) -> None:
    store = open_configured_store(Config(data_dir=tmp_path, store_memory_limit="20MB"))
    try:
        ask = QueryRequest("fetch security.events | limit 1", datetime.now(UTC))
        assert run_query(store, ask, timeout=30)["records"] == []  # a small query runs within the bound
        # the same compiled query, but with a statement needing far more than 20 MB at once
        heavy = dataclasses.replace(
            compile(store, ask),
            sql="select length(string_agg(repeat('x', 1000), '')) as x from range(200000)",
            params=(),
        )
        with pytest.raises(QueryError) as raised:
            fetch(store, heavy, timeout=30)
        assert "more memory than one query may use" in raised.value.message
        assert "Out of Memory" not in raised.value.message  # the engine's own words stay in the log
    finally:
        store.close()
