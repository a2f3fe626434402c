"""Opening what the settings name, in one place for the server and every command.

``open_configured_store`` opens the event store (the embedded DuckDB one in the data directory, or the
backend a ``store`` URL names); ``open_configured_state`` opens the state repositories of the data directory
(or of the PostgreSQL database the ``state`` setting names) with the configured credentials key.
"""

from __future__ import annotations

from threatlake.config import Config
from threatlake.state import State, open_state
from threatlake.store import Store, open_store
from threatlake.store.duckdb import DuckDBStore

__all__ = ["STORE_HELP", "open_configured_state", "open_configured_store"]

#: What ``--store`` takes, for every command that opens the store.
STORE_HELP = (
    "the event store: duckdb (the data directory's), chdb://DIR (the ClickHouse engine in-process) or "
    "clickhouse://USER:PASS@HOST:8123/DB (default: $THREATLAKE_STORE, else duckdb)"
)


def open_configured_store(config: Config, *, migrate: bool = True) -> Store:
    """The configured store, its schema migrated (``migrate=False``: left for ``Store.migrate``)."""
    if config.store == "duckdb":
        return DuckDBStore.in_dir(config.data_dir, memory_limit=config.store_memory_limit, migrate=migrate)
    return open_store(config.store, migrate=migrate)


def open_configured_state(config: Config) -> State:
    return open_state(
        config.data_dir,
        database=config.state,
        credentials_key=config.credentials_key,
        busy_seconds=config.state_busy_seconds,
    )
