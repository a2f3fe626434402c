"""The ClickHouse store: ``chdb://PATH`` (the engine in-process, chDB) or ``clickhouse://user:pass@host:8123/db``.

``schema.py`` renders the one stored shape as ClickHouse DDL, ``client.py`` reaches the engine (chDB or
HTTP), ``store.py`` implements the ``Store`` protocol over either.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from threatlake.store.clickhouse.client import ChdbClient, HttpClient
from threatlake.store.clickhouse.schema import Target, bootstrap, plan
from threatlake.store.clickhouse.store import DIALECT, ClickHouseStore
from threatlake.store.migrations import Plan

__all__ = ["DIALECT", "ClickHouseStore", "chdb_plan", "clickhouse_plan", "open_chdb", "open_clickhouse"]

DATABASE = "threatlake"


def open_chdb(location: str, *, migrate: bool = True) -> ClickHouseStore:
    """``chdb:///abs/path`` or ``chdb://relative/path`` (the part after ``chdb://``)."""
    if not location:
        raise ValueError("chdb:// needs a directory, e.g. chdb:///var/lib/threatlake/chdb")
    return ClickHouseStore(
        ChdbClient(location, DATABASE), DATABASE, name=f"chdb://{location}", migrate=migrate
    )


def open_clickhouse(location: str, *, migrate: bool = True) -> ClickHouseStore:
    """``user:pass@host:8123/db`` (the part after ``clickhouse://``)."""
    client = HttpClient(f"clickhouse://{location}")
    host = location.rpartition("@")[2]
    return ClickHouseStore(client, client.database, name=f"clickhouse://{host}", migrate=migrate)


def _plan(database: str, cluster: str | None) -> Plan:
    target = Target(database, cluster)
    return Plan(tuple(bootstrap(target)), tuple(plan(target)))


def chdb_plan(location: str, cluster: str | None) -> Plan:
    """The schema of the ``chdb://`` store (database ``threatlake``), rendered without opening it."""
    return _plan(DATABASE, cluster)


def clickhouse_plan(location: str, cluster: str | None) -> Plan:
    """The schema of the ``clickhouse://`` store at ``location`` (its database: the URL's path, else
    ``threatlake``), rendered without reaching it."""
    return _plan(urlsplit(f"clickhouse://{location}").path.strip("/") or DATABASE, cluster)
