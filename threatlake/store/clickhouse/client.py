"""The two ways to reach the ClickHouse engine, behind one small ``Client``: chDB in-process, or HTTP.

``ChdbClient``: chDB, the ClickHouse engine as a library, on a directory (one directory per process:
chDB runs one engine per process, so every store of a process shares it; each store keeps its own
database). ``HttpClient``: a ClickHouse server through clickhouse-connect. Both take named, typed
placeholders (``{p1:DateTime64(6)}``) bound by name, return Arrow with naive UTC timestamps (the platform's
shape, as DuckDB gives them) and run every statement in the store's database.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import pyarrow as pa
from clickhouse_connect.driver.binding import escape_str

from threatlake.errors import QueryTimeoutError, StoreError

__all__ = ["ChdbClient", "Client", "HttpClient", "naive_utc"]

#: What each read runs with: UTC, strings as Arrow strings (not binary), enums and maps plain.
READ_SETTINGS: dict[str, Any] = {
    "session_timezone": "UTC",
    "output_format_arrow_string_as_string": 1,
    "output_format_arrow_low_cardinality_as_dictionary": 0,
    "enable_named_columns_in_function_tuple": 1,  # ``tuple(v AS name)``: DQL records
    "prefer_column_name_to_alias": 1,  # ``WHERE "a"`` reads column a, not a projection named a (SQL's rule)
}
_TIMEOUT_CODE = "Code: 159."


class Client(Protocol):
    """One engine connection: reads into Arrow, statements without a result, Arrow inserts."""

    def query(self, sql: str, params: Mapping[str, Any], settings: Mapping[str, Any]) -> pa.Table: ...

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None: ...

    def insert(self, table: str, data: pa.Table, settings: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


def naive_utc(table: pa.Table) -> pa.Table:
    """``table`` with every zoned timestamp column as naive UTC µs (the engine answers in UTC)."""
    for index, field in enumerate(table.schema):
        kind = field.type
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            table = table.set_column(index, field.name, table.column(index).cast(pa.timestamp("us")))
        elif pa.types.is_list(kind) and pa.types.is_timestamp(kind.value_type) and kind.value_type.tz:
            table = table.set_column(
                index, field.name, table.column(index).cast(pa.list_(pa.timestamp("us")))
            )
    return table


def _settings_clause(settings: Mapping[str, Any]) -> str:
    def value(item: Any) -> str:
        return f"'{item}'" if isinstance(item, str) else str(item)

    return " SETTINGS " + ", ".join(f"{name} = {value(item)}" for name, item in settings.items())


def _text(value: Any) -> Any:
    """A bound value as chDB takes it: ClickHouse's text form where its own conversion is wrong."""
    if value is None:
        return "\\N"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_quoted(item) for item in value) + "]"
    if isinstance(
        value, str
    ):  # read in ClickHouse's escaped form: a bare backslash, tab or newline breaks it
        return escape_str(value)
    return value


def _quoted(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ")
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _error(error: Exception) -> StoreError:
    text = str(error)
    if _TIMEOUT_CODE in text:
        return QueryTimeoutError("query interrupted after its timeout in the engine")
    return StoreError(f"query failed: {text.splitlines()[0] if text else type(error).__name__}")


class ChdbClient:
    """chDB on one directory; the process's one engine, shared by every store opened on it."""

    _lock = threading.Lock()
    _engine: tuple[str, Any] | None = None  # (directory, chdb session)
    _users = 0
    _current = ""  # the engine's current database

    def __init__(self, directory: Path | str, database: str) -> None:
        try:
            from chdb import session as chdb_session
        except ImportError as error:  # pragma: no cover - chdb is a dependency
            raise StoreError(f"chdb:// needs the chdb package: {error}") from None
        path = str(Path(directory).resolve())
        with ChdbClient._lock:
            engine = ChdbClient._engine
            if engine is not None and engine[0] != path:
                raise StoreError(
                    f"chdb://{path}: this process runs chDB on {engine[0]} (one directory a process)"
                )
            if engine is None:
                Path(path).mkdir(parents=True, exist_ok=True)
                engine = (path, chdb_session.Session(path))  # type: ignore[no-untyped-call]
                ChdbClient._engine = engine
            ChdbClient._users += 1
            engine[1].query(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        self._session = engine[1]
        self._database = database
        self._closed = False

    def _run(self, sql: str, fmt: str, params: Mapping[str, Any] | None) -> Any:
        bound = {name: _text(value) for name, value in (params or {}).items()}
        with ChdbClient._lock:
            if self._closed:
                raise StoreError("store is closed")
            try:
                if ChdbClient._current != self._database:
                    self._session.query(f"USE `{self._database}`")
                    ChdbClient._current = self._database
                return self._session.query(sql, fmt, params=bound) if bound else self._session.query(sql, fmt)
            except Exception as error:  # chDB raises its own RuntimeError subclasses
                ChdbClient._current = ""  # a failed statement may leave the engine elsewhere: USE again
                raise _error(error) from None

    def query(self, sql: str, params: Mapping[str, Any], settings: Mapping[str, Any]) -> pa.Table:
        result = self._run(sql + _settings_clause({**READ_SETTINGS, **settings}), "ArrowStream", params)
        # the bytes are copied out of chDB's buffer before Arrow reads them (its zero-copy ArrowTable
        # path read freed memory now and then); an empty result keeps its schema in a stream
        try:
            return naive_utc(pa.ipc.open_stream(pa.py_buffer(result.bytes())).read_all())
        except pa.ArrowInvalid as error:
            raise StoreError(f"query failed: the engine's result could not be read ({error})") from None

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._run(sql, "CSV", params)

    def insert(self, table: str, data: pa.Table, settings: Mapping[str, Any]) -> None:
        names = ", ".join(f"`{name}`" for name in data.column_names)
        clause = _settings_clause(settings) if settings else ""
        # chDB's Python() table function reads the Arrow table named here from this frame
        staged = data  # noqa: F841 - read by name by the engine
        self._run(f"INSERT INTO {table} ({names}){clause} SELECT * FROM Python(staged)", "CSV", None)

    def close(self) -> None:
        with ChdbClient._lock:
            if self._closed:
                return
            self._closed = True
            ChdbClient._users -= 1  # the engine stays up: chDB cannot be restarted in the same process

    def __repr__(self) -> str:
        return f"ChdbClient({ChdbClient._engine[0] if ChdbClient._engine else '?'!r}, {self._database!r})"


class HttpClient:
    """A ClickHouse server over HTTP (clickhouse-connect), ``clickhouse://user:pass@host:8123/db``."""

    def __init__(self, url: str) -> None:
        import clickhouse_connect

        parts = urlsplit(url)
        self.database = parts.path.strip("/") or "threatlake"
        options: dict[str, Any] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or 8123,
            "username": unquote(parts.username or "default"),
            "password": unquote(parts.password or ""),
            "secure": parts.scheme == "clickhouses",
        }
        try:
            bootstrap = clickhouse_connect.get_client(**options)
            bootstrap.command(f"CREATE DATABASE IF NOT EXISTS `{self.database}`")
            bootstrap.close()
            self._client = clickhouse_connect.get_client(**options, database=self.database)
        except Exception as error:
            raise StoreError(
                f"cannot reach ClickHouse at {parts.hostname}: {error}", retryable=True
            ) from None

    def query(self, sql: str, params: Mapping[str, Any], settings: Mapping[str, Any]) -> pa.Table:
        try:
            table = self._client.query_arrow(
                sql, parameters=dict(params), settings={**READ_SETTINGS, **settings}
            )
        except Exception as error:
            raise _error(error) from None
        return naive_utc(table)

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        try:
            self._client.command(sql, parameters=dict(params or {}))
        except Exception as error:
            raise _error(error) from None

    def insert(self, table: str, data: pa.Table, settings: Mapping[str, Any]) -> None:
        try:
            self._client.insert_arrow(table, data, settings=dict(settings))
        except Exception as error:
            raise StoreError(f"write failed: {error}", retryable=True) from None

    def close(self) -> None:
        self._client.close()
