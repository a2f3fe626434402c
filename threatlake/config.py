"""Settings: one frozen object, read once at the edge from the environment (and command-line overrides).

Every setting has a default, an environment variable ``THREATLAKE_<NAME>`` and a line in docs/settings.md
(a test keeps that table and this one in step).
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threatlake.errors import ConfigError

__all__ = ["SETTINGS", "Config", "Setting", "load_config"]

MIB = 1024 * 1024


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _public_url(text: str) -> str:
    """An http(s) base URL with a host and nothing after the path (empty: none set)."""
    stripped = text.strip().rstrip("/")
    if not stripped:
        return ""
    parts = urllib.parse.urlsplit(stripped)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"expected an http(s) URL like https://threatlake.example.com, got {text!r}")
    return stripped


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive whole number, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"expected a whole number, 0 or more, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"expected a positive number, got {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    doc: str

    @property
    def env(self) -> str:
        return f"THREATLAKE_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", Path, Path("./var"), "directory of the embedded store and the settings database"),
    Setting("host", str, "127.0.0.1", "address the service listens on"),
    Setting("port", _positive_int, 8080, "port the service listens on"),
    Setting(
        "public_url",
        _public_url,
        "",
        "URL users and forwarders reach the service at, e.g. `https://threatlake.example.com` behind a load"
        " balancer (in connection commands, permalinks and workflow links); empty: the URL a request used,"
        " or `http://host:port`",
    ),
    Setting(
        "store",
        str,
        "duckdb",
        "store backend: `duckdb` (embedded, in the data directory), `chdb://DIR` (ClickHouse in-process) or "
        "`clickhouse://USER:PASS@HOST:8123/DB` (see store.md)",
    ),
    Setting(
        "state",
        str,
        "sqlite",
        "state database: `sqlite` (`settings.sqlite` in the data directory) or"
        " `postgresql://user:password@host:5432/db`, shared by several service nodes",
    ),
    Setting(
        "store_memory_limit",
        str,
        "",
        "memory bound of the embedded store's engine, e.g. `4GB` (empty: DuckDB's own)",
    ),
    Setting("max_body_bytes", _positive_int, 10 * MIB, "largest accepted request body, as sent (413 above)"),
    Setting("max_decompressed_bytes", _positive_int, 64 * MIB, "largest request body after gzip (413 above)"),
    Setting(
        "max_inflate_ratio", _positive_int, 100, "most a gzip body may inflate, times its size (413 above)"
    ),
    Setting(
        "max_findings_per_request",
        _positive_int,
        10_000,
        "findings one ingest request may hold (413 above)",
    ),
    Setting(
        "max_events_per_request", _positive_int, 50_000, "events one ingest request may make (413 above)"
    ),
    Setting("max_json_depth", _positive_int, 64, "deepest JSON nesting accepted in a body (400 above)"),
    Setting("writer_queue_batches", _positive_int, 64, "ingest batches waiting for the writer before 429"),
    Setting(
        "map_workers", _non_negative_int, 0, "processes that decode and map ingest bodies (0: in the service)"
    ),
    Setting("query_timeout_seconds", _positive_float, 60.0, "longest a query may run"),
    Setting("max_result_records", _positive_int, 1000, "records a query returns when it sets no limit"),
    Setting(
        "result_records_limit", _positive_int, 100_000, "most records a query may ask for (maxResultRecords)"
    ),
    Setting("query_workers", _positive_int, 4, "long queries that run at the same time (slow lane threads)"),
    Setting("fast_query_workers", _positive_int, 2, "threads of the fast lane every query starts in"),
    Setting(
        "fast_query_seconds",
        _positive_float,
        1.0,
        "engine time a query gets in the fast lane before it moves",
    ),
    Setting("max_pending_queries", _positive_int, 64, "queries running or waiting at once (429 above)"),
    Setting("max_queries_per_token", _positive_int, 8, "queries one token may have running or waiting"),
    Setting("max_result_bytes", _positive_int, 64 * MIB, "bytes a query result holds when it sets no limit"),
    Setting(
        "result_bytes_limit", _positive_int, 256 * MIB, "most bytes a query may ask for (maxResultBytes)"
    ),
    Setting("kept_result_bytes", _positive_int, 256 * MIB, "bytes of finished results kept for polling"),
    Setting(
        "retention_sweep_seconds", _positive_float, 3600.0, "how often the service deletes expired events"
    ),
    Setting("result_ttl_seconds", _positive_float, 300.0, "how long a finished query's result can be polled"),
    Setting(
        "header_timeout_seconds",
        _positive_float,
        10.0,
        "time a client has to send a request head (closed after)",
    ),
    Setting(
        "body_timeout_seconds", _positive_float, 60.0, "time a client has to send a request body (408 after)"
    ),
    Setting("max_connections", _positive_int, 1000, "open connections and requests at once (503 above)"),
    Setting("max_ingest_requests", _positive_int, 16, "ingest requests in progress at once (429 above)"),
    Setting(
        "max_inflight_bytes", _positive_int, 160 * MIB, "ingest body bytes in progress at once (429 above)"
    ),
    Setting(
        "drain_bytes", _positive_int, 32 * MIB, "body bytes read and dropped so an early error can be read"
    ),
    Setting(
        "state_busy_seconds",
        _positive_float,
        1.0,
        "wait for another process's settings-database lock (503 after)",
    ),
    Setting("metrics_token_required", _bool, False, "`/metrics` needs a token with `settings:read`"),
    Setting("load_samples", _bool, True, "load the bundled sample findings on first start"),
    Setting("admin_password", str, "", "initial admin password (printed once when empty)"),
    Setting(
        "credentials_key",
        str,
        "",
        "key of the action credentials (base64url, 32 bytes); empty: `credentials.key` in the data directory",
    ),
    Setting("log_level", str, "INFO", "log level of the structured logs"),
)


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: Path = Path("./var")
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    store: str = "duckdb"
    state: str = "sqlite"
    store_memory_limit: str = ""
    max_body_bytes: int = 10 * MIB
    max_decompressed_bytes: int = 64 * MIB
    max_inflate_ratio: int = 100
    max_findings_per_request: int = 10_000
    max_events_per_request: int = 50_000
    max_json_depth: int = 64
    writer_queue_batches: int = 64
    map_workers: int = 0
    query_timeout_seconds: float = 60.0
    max_result_records: int = 1000
    result_records_limit: int = 100_000
    query_workers: int = 4
    fast_query_workers: int = 2
    fast_query_seconds: float = 1.0
    max_pending_queries: int = 64
    max_queries_per_token: int = 8
    max_result_bytes: int = 64 * MIB
    result_bytes_limit: int = 256 * MIB
    kept_result_bytes: int = 256 * MIB
    retention_sweep_seconds: float = 3600.0
    result_ttl_seconds: float = 300.0
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 60.0
    max_connections: int = 1000
    max_ingest_requests: int = 16
    max_inflight_bytes: int = 160 * MIB
    drain_bytes: int = 32 * MIB
    state_busy_seconds: float = 1.0
    metrics_token_required: bool = False
    load_samples: bool = True
    admin_password: str = ""
    credentials_key: str = ""
    log_level: str = "INFO"


def load_config(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Read every setting once: overrides (command-line flags), else the environment, else defaults."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if overrides.get(setting.name) is not None:
            raw = overrides[setting.name]
            values[setting.name] = (
                raw if not isinstance(raw, str) else _parse(setting, raw, "--" + setting.name)
            )
        elif setting.env in env:
            values[setting.name] = _parse(setting, env[setting.env], setting.env)
    return dataclasses.replace(Config(), **values)


def _parse(setting: Setting, raw: str, origin: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as error:
        raise ConfigError(f"invalid value for {setting.name} ({origin}): {error}") from None
