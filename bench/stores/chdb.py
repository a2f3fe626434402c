"""The chDB store (the ClickHouse engine in-process) in the benchmarks: one database per store.

chDB runs one engine per process on one directory (``<root>/chdb``), so every store of a benchmark is a
database on it: ``gen_<size>`` generated, any other name a copy. The generated corpus goes in with one
``INSERT ... SELECT`` over ``numbers(size)`` inside the engine (streamed in blocks; the materialized view
fills ``latest_rows`` as it goes), then ``OPTIMIZE ... FINAL`` merges the parts of both tables once, as the
background merges of a long-running server would. A copy attaches the generated parts of both
(``ATTACH PARTITION ALL FROM``: hard links, no rewrite).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from bench.stores.generator import select
from bench.stores.sizes import ColumnBytes, Disk
from threatlake.store import Store
from threatlake.store.clickhouse import ChdbClient, ClickHouseStore
from threatlake.store.clickhouse.latest import ROWS
from threatlake.store.clickhouse.schema import PHYSICAL
from threatlake.store.clickhouse.store import named
from threatlake.store.schema import EVENTS

__all__ = ["Chdb"]

_PARTS = (
    "SELECT sum(bytes_on_disk) AS disk, sum(rows) AS n FROM system.parts "
    "WHERE database = {db:String} AND table = {t:String} AND active"
)
_COLUMNS = (
    "SELECT name, data_compressed_bytes AS c, data_uncompressed_bytes AS u, compression_codec AS codec "
    "FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY c DESC"
)


class Chdb:
    """chDB stores under ``root/chdb``."""

    name = "chdb"

    def __init__(self, root: Path) -> None:
        self.directory = root / "chdb"
        self._clients: dict[str, ChdbClient] = {}

    def _open(self, database: str) -> ClickHouseStore:
        client = ChdbClient(self.directory, database)
        self._clients[database] = client
        return ClickHouseStore(client, database, name=f"chdb bench {database}")

    def _count(self, store: ClickHouseStore) -> int:
        return int(store.execute(f"SELECT count() AS n FROM {EVENTS}").column("n")[0].as_py())

    def generated_name(self, size: int) -> str:
        return f"gen_{size}"

    def generated(self, size: int) -> Store:
        database = self.generated_name(size)
        store = self._open(database)
        if self._count(store) != size:
            client = self._clients[database]
            client.command(f"TRUNCATE TABLE {EVENTS}")
            client.command(f"TRUNCATE TABLE {ROWS}")
            if size:
                client.command(f"INSERT INTO {EVENTS} {select('clickhouse', size)}")
                client.command(f"OPTIMIZE TABLE {EVENTS} FINAL")
                client.command(f"OPTIMIZE TABLE {ROWS} FINAL")
        return store

    def copy(self, name: str, size: int) -> Store:
        self.discard(name)
        store = self._open(name)
        if size:
            self.generated(size).close()
            for table in (EVENTS, ROWS):
                self._clients[name].command(
                    f"ALTER TABLE {table} ATTACH PARTITION ALL FROM gen_{size}.{table}"
                )
        return store

    def discard(self, name: str) -> None:
        ChdbClient(self.directory, "default").command(f"DROP DATABASE IF EXISTS `{name}` SYNC")

    def plain(self, store: Store, sql: str, params: list[Any]) -> pa.Table:
        """``sql`` on the engine past the store's read settings: without ``final = 1``."""
        text, bound = named(sql, params)
        return self._clients[str(getattr(store, "database", ""))].query(text, bound, {"final": 0})

    def write_arrow(self, store: Store, table: pa.Table) -> None:
        inner: Any = store  # the store's own steps, past ``to_table``
        with inner._lock:
            fresh = inner._new_rows(table)
            if fresh.num_rows:
                inner._insert(fresh)

    def raw_insert(self, name: str, size: int, tables: list[pa.Table]) -> float:
        """chDB alone: each table one Arrow insert into the copy's ``events`` (no lookup, no token)."""
        self.copy(name, size).close()
        client = ChdbClient(self.directory, name)
        staged = [table.rename_columns([PHYSICAL.get(n, n) for n in table.column_names]) for table in tables]
        started = time.perf_counter()
        for table in staged:
            client.insert(EVENTS, table, {})
        elapsed = time.perf_counter() - started
        client.close()
        return elapsed

    def open(self, name: str) -> Store:
        return self._open(name)

    def disk(self, name: str) -> Disk:
        """Active parts of ``events`` after a final merge (``system.parts``), per column too (``latest_rows``
        is a second copy of each key's newest row, not counted here)."""
        store = self._open(name)
        self._clients[name].command(f"OPTIMIZE TABLE {EVENTS} FINAL")
        bound = {"db": name, "t": EVENTS}
        parts = store.execute(_PARTS, bound).to_pylist()[0]
        columns = [
            ColumnBytes(row["name"], int(row["c"]), int(row["u"]), row["codec"] or "default (LZ4)")
            for row in store.execute(_COLUMNS, bound).to_pylist()
        ]
        store.close()
        note = "active parts of events after OPTIMIZE FINAL (latest_rows, one row per finding key, apart)"
        return Disk(int(parts["disk"] or 0), int(parts["n"] or 0), note, columns)
