"""The store: the only place that speaks to a database, behind one small protocol (``Store``).

``open_store`` takes a data directory (the embedded DuckDB default) or a URL whose scheme names a backend in
``BACKENDS``. Adding a backend touches one package and one registry entry: how to open it and how to render
its schema plan without opening it (``threatlake migrate --print``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from threatlake.errors import StoreError
from threatlake.store.clickhouse import chdb_plan, clickhouse_plan, open_chdb, open_clickhouse
from threatlake.store.duckdb import DuckDBStore, duckdb_plan
from threatlake.store.migrations import Migration, MigrationReport, Plan
from threatlake.store.protocol import Bucket, Interrupt, Store, WriteResult

__all__ = [
    "BACKENDS",
    "Backend",
    "Bucket",
    "Interrupt",
    "Migration",
    "MigrationReport",
    "Plan",
    "Store",
    "WriteResult",
    "open_store",
    "store_plan",
]


def _open_duckdb(location: str, *, migrate: bool = True) -> Store:
    if location == ":memory:":
        return DuckDBStore(location, migrate=migrate)
    return DuckDBStore.in_dir(location, migrate=migrate)


@dataclass(frozen=True, slots=True)
class Backend:
    """A registered backend: ``open(location, migrate=...)`` and ``plan(location, cluster)``, where
    ``location`` is the URL after ``scheme://``."""

    open: Callable[..., Store]
    plan: Callable[[str, str | None], Plan]


#: URL scheme → its backend (``duckdb:///var/lib/threatlake`` → location ``/var/lib/threatlake``).
BACKENDS: dict[str, Backend] = {
    "duckdb": Backend(_open_duckdb, duckdb_plan),
    "chdb": Backend(open_chdb, chdb_plan),
    "clickhouse": Backend(open_clickhouse, clickhouse_plan),
}


def _backend(url_or_dir: str | Path) -> tuple[Backend, str]:
    location = str(url_or_dir)
    scheme, sep, rest = location.partition("://")
    if not sep:
        return BACKENDS["duckdb"], location
    backend = BACKENDS.get(scheme)
    if backend is None:
        known = ", ".join(sorted(BACKENDS))
        raise StoreError(f"store {location!r}: unknown backend {scheme!r} (known: {known})")
    return backend, rest


def open_store(url_or_dir: str | Path, *, migrate: bool = True) -> Store:
    """Open the store at a data directory (DuckDB) or at ``scheme://...`` for a registered backend;
    ``migrate=False`` leaves the schema alone until the caller runs ``Store.migrate``."""
    backend, location = _backend(url_or_dir)
    return backend.open(location, migrate=migrate)


def store_plan(url_or_dir: str | Path, cluster: str | None = None) -> Plan:
    """The schema of the store at ``url_or_dir`` (``cluster``: its cluster form), rendered without
    opening it."""
    backend, location = _backend(url_or_dir)
    return backend.plan(location, cluster)
