"""The embedded DuckDB store in the benchmarks: one data directory per store under the root.

The generated corpus goes in with one ``INSERT ... SELECT`` over ``range(size)`` inside DuckDB (streamed, no
Python rows), past the store's write path; the store is then told ``latest`` lacks those rows, so opening it
rebuilds ``latest`` once, as after a crash. Copies are file copies of the generated store.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from bench.stores.generator import select
from bench.stores.sizes import Disk
from threatlake.store import Store, open_store
from threatlake.store.duckdb import FILE_NAME
from threatlake.store.schema import EVENTS

__all__ = ["DuckDB", "generate"]


def generate(data_dir: Path, size: int) -> None:
    """``size`` generated events into the (new) store in ``data_dir``, ``latest`` rebuilt on the next open."""
    open_store(data_dir).close()  # creates the schema exactly as the service does
    with duckdb.connect(str(data_dir / FILE_NAME)) as connection:
        connection.execute(f"INSERT INTO events {select('duckdb', size)}")
        # Past the store's write path: say ``latest`` lacks these rows, so the store rebuilds it on open.
        connection.execute("UPDATE latest_state SET folded = false")


def _count(store: Store) -> int:
    return int(store.execute(f"SELECT count(*) AS n FROM {EVENTS}").column("n")[0].as_py())


class DuckDB:
    """DuckDB stores under ``root``: ``duckdb-<size>`` generated, any other name a copy."""

    name = "duckdb"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _generated_dir(self, size: int) -> Path:
        directory = self.root / f"duckdb-{size}"
        if (directory / FILE_NAME).exists():
            with open_store(directory) as store:
                if _count(store) == size:
                    return directory
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        if size:
            generate(directory, size)
        open_store(directory).close()  # rebuilds ``latest`` now, not in the first measured open
        return directory

    def generated(self, size: int) -> Store:
        return open_store(self._generated_dir(size))

    def generated_name(self, size: int) -> str:
        return self._generated_dir(size).name

    def copy(self, name: str, size: int) -> Store:
        return open_store(self._copy_dir(name, size))

    def _copy_dir(self, name: str, size: int) -> Path:
        template = self._generated_dir(size) if size else None
        directory = self.root / name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        if template is not None:
            shutil.copyfile(template / FILE_NAME, directory / FILE_NAME)
        return directory

    def discard(self, name: str) -> None:
        shutil.rmtree(self.root / name, ignore_errors=True)

    def plain(self, store: Store, sql: str, params: list[Any]) -> pa.Table:
        """``sql`` as the store runs it: DuckDB reads have no settings of their own."""
        return store.execute(sql, params)

    def write_arrow(self, store: Store, table: pa.Table) -> None:
        inner: Any = store  # the store's own steps, past ``to_table``
        with inner._lock:
            inner._pending.add(inner._insert(table))
        inner._folder.poke()

    def raw_insert(self, name: str, size: int, tables: list[pa.Table]) -> float:
        """DuckDB alone: the rows into the copy's ``events`` table, one transaction per table."""
        directory = self._copy_dir(name, size)
        open_store(directory).close()  # the schema exactly as the store makes it
        connection = duckdb.connect(str(directory / FILE_NAME))
        statement = f"INSERT INTO {EVENTS} SELECT * FROM staging"
        started = time.perf_counter()
        for table in tables:
            connection.begin()
            connection.register("staging", table)
            connection.execute(statement).fetchall()
            connection.unregister("staging")
            connection.commit()
        elapsed = time.perf_counter() - started
        connection.close()
        return elapsed

    def open(self, name: str) -> Store:
        return open_store(self.root / name)

    def disk(self, name: str) -> Disk:
        """The database file (and any WAL) of the closed store ``name``: ``events`` and ``latest``."""
        path = self.root / name / FILE_NAME
        size = sum(
            item.stat().st_size for item in (path, path.with_name(FILE_NAME + ".wal")) if item.exists()
        )
        with open_store(path.parent) as store:
            events = _count(store)
        return Disk(size, events, "file size: events + latest (a second copy of each finding's newest row)")
