"""Reaching a running ``threatlake serve`` from the command line (the client of a remote service).

DuckDB lets one process write a database file, and ``serve`` holds it. So when ``query`` or ``ingest`` find
the store locked, they send their work to the service that holds it: ``serve`` leaves its address in
``<data-dir>/service.json`` while it runs (``threatlake.service.announce``); the command mints a token with
just the scope it needs in the settings database (SQLite, shared safely), calls the API with the standard
library, and revokes the token.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from threatlake.errors import StoreError
from threatlake.service.access import create_token
from threatlake.service.announce import running_service
from threatlake.state import open_state
from threatlake.state.tokens import DEFAULT_CONNECTION
from threatlake.store import Store

__all__ = ["TEMPORARY_GRACE_SECONDS", "ServiceClient", "store_or_service"]

#: A temporary token outlives its command's own timeout by this much, then expires by itself.
TEMPORARY_GRACE_SECONDS = 60


def store_or_service(open_store: Callable[[], Store], data_dir: Path) -> Store | str:
    """The store, or the URL of the running service that holds it (the store is locked, not broken)."""
    try:
        return open_store()
    except StoreError as error:
        url = running_service(data_dir) if error.retryable else None
        if url is None:
            raise
        return url


class ServiceClient:
    """Calls to the running service with a token of one scope, revoked when the client closes."""

    def __init__(
        self,
        data_dir: Path,
        url: str,
        scope: str,
        *,
        timeout: float = 120.0,
        connection: str = DEFAULT_CONNECTION,
        database: str = "sqlite",
    ) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._state = open_state(data_dir, database=database)  # the service's state: the token must be there
        now = datetime.now(UTC)
        # expires on its own even when the command is killed before it can revoke it
        self._record, self._token = create_token(
            self._state,
            [scope],
            now=now,
            name="cli (temporary)",
            connection=connection,
            expires=now + timedelta(seconds=timeout + TEMPORARY_GRACE_SECONDS),
        )

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._state.tokens.revoke(self._record.id, now=datetime.now(UTC))
        finally:
            self._state.close()

    def call(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        """(status, parsed JSON body); an error answer is returned too, a dead service raises StoreError."""
        request = urllib.request.Request(self.url + path, data=body, method=method)
        request.add_header("Authorization", f"Api-Token {self._token}")
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                return error.code, json.loads(payload)
            except ValueError:
                return error.code, {
                    "error": {"code": error.code, "message": payload.decode(errors="replace")}
                }
        except (urllib.error.URLError, OSError) as error:
            raise StoreError(
                f"the store is held by the service at {self.url}, which does not answer: {error}"
            ) from None
