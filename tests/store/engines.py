"""The one helper of the differential tests: the same corpus in a DuckDB store and a chDB store.

chDB runs one ClickHouse engine per process, so the test session opens it once (``chdb_root``) and every
chDB store of the session is a database of its own on it (``fresh_chdb``). ``Pair`` holds one store of each
backend over the same events; ``Pair.answers`` runs a DQL query on both, each compiled for its store's
dialect, and shapes both results as the platform does. Tests needing chDB skip, with the reason, where it
cannot be imported.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from threatlake.query import compile_query, to_result
from threatlake.store import Store
from threatlake.store.duckdb import DuckDBStore

_names = itertools.count(1)


_root: list[Path] = []  # the process's chDB directory (each module importing the fixtures shares it)


@pytest.fixture(scope="session")
def chdb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's one chDB directory (skips when chDB cannot be imported)."""
    pytest.importorskip("chdb", reason="chdb (the ClickHouse engine in-process) cannot be imported")
    if not _root:
        _root.append(tmp_path_factory.mktemp("chdb"))
    return _root[0]


FreshStore = Callable[..., Store]


@pytest.fixture(scope="session")
def fresh_chdb(chdb_root: Path) -> Iterator[FreshStore]:
    """Opens a new, empty chDB store (its own database on the session's engine); all closed at the end."""
    from threatlake.store.clickhouse import ChdbClient, ClickHouseStore

    opened: list[Store] = []

    def fresh(now: datetime | None = None) -> Store:
        database = f"t{next(_names)}"
        store = ClickHouseStore(ChdbClient(chdb_root, database), database, now=now)
        opened.append(store)
        return store

    yield fresh
    for store in opened:
        store.close()


@dataclass
class Pair:
    """One DuckDB store and one chDB store holding the same events."""

    duckdb: Store
    chdb: Store

    @property
    def stores(self) -> tuple[Store, Store]:
        return self.duckdb, self.chdb

    def write(self, events: list[dict[str, Any]]) -> None:
        for store in self.stores:
            store.write([dict(event) for event in events])

    def answer(self, store: Store, text: str, **options: Any) -> list[dict[str, Any]]:
        compiled = compile_query(text, dialect=store.dialect, **options)
        table = store.execute(compiled.sql, compiled.params, timeout=60)
        return list(to_result(compiled, table)["records"])

    def answers(self, text: str, **options: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The records of ``text`` on DuckDB and on chDB."""
        return self.answer(self.duckdb, text, **options), self.answer(self.chdb, text, **options)


def open_pair(fresh_chdb: FreshStore, now: datetime | None = None) -> Pair:
    return Pair(DuckDBStore(":memory:", now=now), fresh_chdb())
