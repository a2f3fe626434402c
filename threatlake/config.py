"""Settings: one frozen object, read once at the edge from the environment (and command-line overrides).

Every setting has a default, an environment variable ``THREATLAKE_<NAME>`` and a line in docs/settings.md
(a test keeps that table and this one in step).
"""

from __future__ import annotations

import dataclasses
import os
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


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"expected a positive whole number, got {text!r}")
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
    Setting("store", str, "duckdb", "store backend: `duckdb` (embedded, in the data directory)"),
    Setting("max_body_bytes", _positive_int, 10 * MIB, "largest accepted request body, as sent (413 above)"),
    Setting("max_decompressed_bytes", _positive_int, 64 * MIB, "largest request body after gzip (413 above)"),
    Setting("max_json_depth", _positive_int, 64, "deepest JSON nesting accepted in a body (400 above)"),
    Setting("writer_queue_batches", _positive_int, 64, "ingest batches waiting for the writer before 429"),
    Setting("query_timeout_seconds", _positive_float, 60.0, "longest a query may run"),
    Setting("max_result_records", _positive_int, 1000, "records a query returns when it sets no limit"),
    Setting(
        "result_records_limit", _positive_int, 100_000, "most records a query may ask for (maxResultRecords)"
    ),
    Setting("query_workers", _positive_int, 4, "queries that run at the same time (threads)"),
    Setting(
        "retention_sweep_seconds", _positive_float, 3600.0, "how often the service deletes expired events"
    ),
    Setting("result_ttl_seconds", _positive_float, 300.0, "how long a finished query's result can be polled"),
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
    store: str = "duckdb"
    max_body_bytes: int = 10 * MIB
    max_decompressed_bytes: int = 64 * MIB
    max_json_depth: int = 64
    writer_queue_batches: int = 64
    query_timeout_seconds: float = 60.0
    max_result_records: int = 1000
    result_records_limit: int = 100_000
    query_workers: int = 4
    retention_sweep_seconds: float = 3600.0
    result_ttl_seconds: float = 300.0
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
