"""The store: the only place that speaks to a database, behind one small protocol (``Store``).

``open_store`` takes a data directory (the embedded DuckDB default) or a URL whose scheme names a backend in
``BACKENDS``. Adding a backend touches one module and one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from threatlake.errors import StoreError
from threatlake.store.clickhouse import open_chdb, open_clickhouse
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.protocol import Bucket, Interrupt, Store, WriteResult

__all__ = ["BACKENDS", "Bucket", "Interrupt", "Store", "WriteResult", "open_store"]


def _open_duckdb(location: str) -> Store:
    if location == ":memory:":
        return DuckDBStore(location)
    return DuckDBStore.in_dir(location)


#: URL scheme → opener of the rest of the URL (``duckdb:///var/lib/threatlake`` → ``/var/lib/threatlake``).
BACKENDS: dict[str, Callable[[str], Store]] = {
    "duckdb": _open_duckdb,
    "chdb": open_chdb,
    "clickhouse": open_clickhouse,
}


def open_store(url_or_dir: str | Path) -> Store:
    """Open the store at a data directory (DuckDB) or at ``scheme://...`` for a registered backend."""
    location = str(url_or_dir)
    scheme, sep, rest = location.partition("://")
    if not sep:
        return _open_duckdb(location)
    opener = BACKENDS.get(scheme)
    if opener is None:
        known = ", ".join(sorted(BACKENDS))
        raise StoreError(f"store {location!r}: unknown backend {scheme!r} (known: {known})")
    return opener(rest)
