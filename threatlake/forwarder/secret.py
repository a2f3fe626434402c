"""The ingest token, read from a Secrets Manager secret whose value is a JSON object, and cached.

The secret holds ``{"<key name>": "<token>"}``; the default key name is the one the commercial product's
forwarder uses, so an existing secret works unchanged. The value is kept for ``SECRET_TTL_SECONDS`` so a warm
Lambda does not call Secrets Manager on every invocation, yet picks up a rotated token within the TTL.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from typing import Any

from .errors import SecretError

__all__ = ["TokenCache"]


def _secretsmanager_client() -> Any:
    # Imported here, not at module level: the Lambda runtime provides boto3, the sender's tests do not need
    # it, and a cold start pays for it only when the secret is read.
    boto3 = importlib.import_module("boto3")
    return boto3.client("secretsmanager")


class TokenCache:
    """``token()`` returns the cached token, reading the secret again once the TTL has passed."""

    def __init__(
        self,
        secret_id: str,
        key_name: str,
        ttl_seconds: float,
        *,
        client_factory: Callable[[], Any] = _secretsmanager_client,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret_id = secret_id
        self._key_name = key_name
        self._ttl = ttl_seconds
        self._client_factory = client_factory
        self._clock = clock
        self._client: Any = None
        self._token: str | None = None
        self._expires = 0.0

    def token(self) -> str:
        now = self._clock()
        if self._token is None or now >= self._expires:
            self._token = self._read()
            self._expires = now + self._ttl
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token (after a 401: the token may have been rotated)."""
        self._token = None

    def _read(self) -> str:
        if self._client is None:
            self._client = self._client_factory()
        try:
            response = self._client.get_secret_value(SecretId=self._secret_id)
        except Exception as error:  # botocore's errors are not importable without boto3: catch them all here
            raise SecretError(f"cannot read secret {self._secret_id}: {error}") from error
        text = response.get("SecretString")
        if not isinstance(text, str):
            raise SecretError(
                f"secret {self._secret_id} has no SecretString (binary secrets are not supported)"
            )
        try:
            value = json.loads(text)
        except ValueError:
            raise SecretError(f"secret {self._secret_id} is not a JSON object") from None
        if not isinstance(value, dict):
            raise SecretError(f"secret {self._secret_id} is not a JSON object")
        token = value.get(self._key_name)
        if not isinstance(token, str) or not token.strip():
            raise SecretError(
                f"secret {self._secret_id} has no non-empty string under key {self._key_name!r}"
            )
        return token.strip()
