"""The stores the benchmarks compare, each a same-shaped module: ``duckdb`` (the embedded default) and
``chdb`` (the ClickHouse engine in-process).

Each module defines a class taking the benchmark's root directory, with the same methods:

- ``generated(size)``: a store holding ``size`` generated events (``generator.py``'s corpus), made inside the
  engine once under the root and reused by later runs while its count matches (the engine streams it: memory
  stays flat whatever the size);
- ``copy(name, size)``: a new store ``name`` holding the ``size`` generated events (0: empty), for runs that
  write; ``discard(name)`` removes it;
- ``plain(store, sql, params)``: ``sql`` on the engine past the store's read settings (chDB: no ``FINAL``);
- ``write_arrow(store, table)``: the store's write of an Arrow table past its dict → Arrow step;
- ``raw_insert(name, size, tables)``: seconds the engine alone takes to insert ``tables`` (the store's rows,
  already Arrow) into the ``events`` table of a fresh copy: the reference a store write is measured against;
- ``open(name)``: the store ``name`` again; ``generated_name(size)``: the generated store's name;
- ``disk(name)``: bytes on disk of the (closed) store ``name``, and per column where the engine tells.

``ENGINES`` is the registry; ``--store duckdb,chdb`` picks from it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from bench.stores.chdb import Chdb
from bench.stores.duckdb import DuckDB
from bench.stores.sizes import ColumnBytes, Disk
from threatlake.store import Store

__all__ = ["ENGINES", "ColumnBytes", "Disk", "Engine", "engines"]


class Engine(Protocol):
    name: str

    def generated(self, size: int) -> Store: ...

    def generated_name(self, size: int) -> str: ...

    def open(self, name: str) -> Store: ...

    def copy(self, name: str, size: int) -> Store: ...

    def discard(self, name: str) -> None: ...

    def plain(self, store: Store, sql: str, params: list[Any]) -> pa.Table: ...

    def write_arrow(self, store: Store, table: pa.Table) -> None: ...

    def raw_insert(self, name: str, size: int, tables: list[pa.Table]) -> float: ...

    def disk(self, name: str) -> Disk: ...


ENGINES: dict[str, Callable[[Path], Engine]] = {"duckdb": DuckDB, "chdb": Chdb}


def engines(names: str, root: Path) -> list[Engine]:
    """``duckdb,chdb`` → those engines on ``root``; a clear error for an unknown name."""
    picked = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in picked if name not in ENGINES]
    if unknown or not picked:
        raise SystemExit(f"--store {names!r}: choose from {', '.join(ENGINES)} (comma-separated)")
    return [ENGINES[name](root) for name in picked]
