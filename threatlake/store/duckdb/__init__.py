"""The embedded DuckDB store: one file, ``<data-dir>/threatlake.duckdb``.

``schema.py`` renders the one stored shape (``store/schema.py``) as DuckDB DDL, ``statements.py`` holds the
statements that write, fold ``latest`` and sweep retention, ``latest.py`` folds ``latest`` off the write, and
``store.py`` implements the ``Store`` protocol over them.
"""

from __future__ import annotations

from threatlake.store.duckdb.store import (
    DEFAULT_RETENTION_DAYS,
    DIALECT,
    FILE_NAME,
    MAX_RETENTION_DAYS,
    DuckDBStore,
)

__all__ = ["DEFAULT_RETENTION_DAYS", "DIALECT", "FILE_NAME", "MAX_RETENTION_DAYS", "DuckDBStore"]
