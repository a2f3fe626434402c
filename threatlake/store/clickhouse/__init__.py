"""The ClickHouse store: ``chdb://PATH`` (the engine in-process, chDB) or ``clickhouse://user:pass@host:8123/db``.

``schema.py`` renders the one stored shape as ClickHouse DDL, ``client.py`` reaches the engine (chDB or
HTTP), ``store.py`` implements the ``Store`` protocol over either.
"""

from __future__ import annotations

from threatlake.store.clickhouse.client import ChdbClient, HttpClient
from threatlake.store.clickhouse.store import DIALECT, ClickHouseStore

__all__ = ["DIALECT", "ClickHouseStore", "open_chdb", "open_clickhouse"]

DATABASE = "threatlake"


def open_chdb(location: str) -> ClickHouseStore:
    """``chdb:///abs/path`` or ``chdb://relative/path`` (the part after ``chdb://``)."""
    if not location:
        raise ValueError("chdb:// needs a directory, e.g. chdb:///var/lib/threatlake/chdb")
    return ClickHouseStore(ChdbClient(location, DATABASE), DATABASE, name=f"chdb://{location}")


def open_clickhouse(location: str) -> ClickHouseStore:
    """``user:pass@host:8123/db`` (the part after ``clickhouse://``)."""
    client = HttpClient(f"clickhouse://{location}")
    host = location.rpartition("@")[2]
    return ClickHouseStore(client, client.database, name=f"clickhouse://{host}")
