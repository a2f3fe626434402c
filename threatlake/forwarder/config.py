"""The forwarder's settings: read once from the environment into a frozen ``Config``.

Every setting has an environment variable, a default (except the two that name the endpoint and the secret)
and a line in ``docs/forwarder.md``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError

__all__ = ["DEFAULT_SECRET_KEY_NAME", "ENVIRONMENT", "Config"]

# The key the commercial product's forwarder reads from the same secret, so an existing secret works as is.
DEFAULT_SECRET_KEY_NAME = "DYNATRACE_OPENPIPELINE_INGEST_API_TOKEN"


@dataclass(frozen=True)
class Config:
    """Where to send, how to authenticate and how hard to try."""

    ingest_url: str
    secret_arn: str
    secret_key_name: str = DEFAULT_SECRET_KEY_NAME
    secret_ttl_seconds: float = 300.0
    max_bytes: int = 1024 * 1024
    request_timeout_seconds: float = 10.0
    max_attempts: int = 5
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 20.0
    safety_margin_seconds: float = 3.0
    dead_letter_queue_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        url = _required(env, "INGEST_URL")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ConfigError(f"INGEST_URL must be an http(s) URL with a host, got {url!r}")
        numbers: dict[str, Any] = {
            field: _number(name, text, kind, minimum)
            for name, (field, kind, minimum) in _NUMBERS.items()
            if (text := env.get(name, "").strip())
        }
        return cls(
            ingest_url=url,
            secret_arn=_required(env, "THREATLAKE_SECRET_ARN"),
            secret_key_name=env.get("SECRET_KEY_NAME", "").strip() or DEFAULT_SECRET_KEY_NAME,
            dead_letter_queue_url=_queue_url(env.get("DEAD_LETTER_QUEUE_URL", "").strip()),
            **numbers,
        )


# environment variable -> (Config field, parser, smallest value allowed); the defaults are the fields' own.
_NUMBERS: dict[str, tuple[str, Callable[[str], float], float]] = {
    "SECRET_TTL_SECONDS": ("secret_ttl_seconds", float, 0),
    "FORWARD_MAX_BYTES": ("max_bytes", int, 1024),
    "FORWARD_TIMEOUT_SECONDS": ("request_timeout_seconds", float, 0.1),
    "FORWARD_MAX_ATTEMPTS": ("max_attempts", int, 1),
    "FORWARD_BACKOFF_BASE_SECONDS": ("backoff_base_seconds", float, 0),
    "FORWARD_BACKOFF_MAX_SECONDS": ("backoff_max_seconds", float, 0),
    "FORWARD_SAFETY_MARGIN_SECONDS": ("safety_margin_seconds", float, 0),
}

# Every environment variable ``Config.from_env`` reads -> its Config field (docs/forwarder.md is tested
# against it).
ENVIRONMENT: dict[str, str] = {
    "INGEST_URL": "ingest_url",
    "THREATLAKE_SECRET_ARN": "secret_arn",
    "SECRET_KEY_NAME": "secret_key_name",
    "DEAD_LETTER_QUEUE_URL": "dead_letter_queue_url",
    **{name: field for name, (field, _, _) in _NUMBERS.items()},
}


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def _queue_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if url and (parts.scheme not in ("https", "http") or not parts.netloc):
        raise ConfigError(f"DEAD_LETTER_QUEUE_URL must be an SQS queue URL, got {url!r}")
    return url


def _number(name: str, text: str, kind: Callable[[str], float], minimum: float) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {text!r}") from None
    if not value >= minimum:  # also rejects NaN
        raise ConfigError(f"{name} must be at least {minimum:g}, got {text!r}")
    return value
