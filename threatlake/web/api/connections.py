"""Connections: ``GET/POST /platform/connections``, ``DELETE /platform/connections/{name}``; their counters.

A connection is an AWS integration sending to this service through its own ingest token. Creating one returns
the token (this once) and the filled-in AWS commands that store it and deploy the forwarder; deleting one
revokes its tokens (its events stay).

Counters: ``ConnectionCounters.count_written`` is the writer's ``on_write`` callback, so it sees exactly the
events of each durable write (duplicates included) and tallies them by ``dt.ingest.connection``. It adds the
tallies to the settings database (SQLite, which ``threatlake connection list`` reads while the service runs)
at most once per ``interval`` seconds, one transaction for all connections; a timer writes what is left after
the last write of a burst, and ``close`` writes the rest. The counts lag the store by about a second at most.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.cli.connection import check_region, ingest_url, setup_commands, warnings_for
from threatlake.errors import RequestError
from threatlake.model import Event
from threatlake.store import WriteResult
from threatlake.store.settings import Settings
from threatlake.web.auth import authorize
from threatlake.web.body import read_json_object

__all__ = ["ROUTES", "ConnectionCounters"]

log = logging.getLogger("threatlake.connections")

_MAX_BODY = 64 * 1024
_FIELD = "dt.ingest.connection"


class ConnectionCounters:
    """Events received per connection, from the writer's durable writes into the settings database."""

    def __init__(
        self,
        settings: Settings,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._seen: dict[str, datetime] = {}
        self._last_flush = -interval
        self._timer: threading.Timer | None = None
        self._closed = False

    def count_written(self, events: list[Event], result: WriteResult) -> None:
        """The writer's ``on_write``: tally ``events`` (a committed write) by connection."""
        tally = Counter(str(event.get(_FIELD) or "") for event in events)
        tally.pop("", None)
        if not tally:
            return
        now = datetime.now(UTC)
        with self._lock:
            self._pending.update(tally)
            for name in tally:
                self._seen[name] = now
            wait = self._interval - (self._clock() - self._last_flush)
            if wait > 0 and self._timer is None and not self._closed:
                self._timer = threading.Timer(wait, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if wait <= 0:
            self.flush()

    def flush(self) -> None:
        """Add what is pending to the settings database now (never raises: counters must not fail writes)."""
        with self._lock:
            pending, seen = self._pending, self._seen
            self._pending, self._seen = Counter(), {}
            self._last_flush = self._clock()
            self._timer = None
        if not pending:
            return
        try:
            self._settings.record_received({name: (pending[name], seen[name]) for name in pending})
        except Exception:
            log.exception("could not update the connection counters; retrying with the next write")
            with self._lock:
                self._pending.update(pending)
                for name, moment in seen.items():
                    self._seen[name] = max(moment, self._seen.get(name, moment))

    def close(self) -> None:
        """Stop the timer and write what is pending (after the writer has drained)."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _optional_string(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and (not isinstance(value, str) or not value):
        raise RequestError(f"'{field}' must be a non-empty string when given", {"field": field})
    return value


async def list_connections(request: Request) -> Response:
    authorize(request, "settings:read")
    settings: Settings = request.app.state.settings
    return _json({"connections": [item.as_dict() for item in settings.connections()]})


async def create_connection(request: Request) -> Response:
    authorize(request, "settings:write")
    body = await read_json_object(request, _MAX_BODY)
    for field in ("integration", "name"):
        if not isinstance(body.get(field), str):
            raise RequestError(f"'{field}' must be a string", {"field": field})
    endpoint = _optional_string(body, "endpoint")
    url = ingest_url(endpoint or str(request.base_url))
    region = check_region(_optional_string(body, "region"))
    settings: Settings = request.app.state.settings
    connection, token_record, token = settings.create_connection(
        body["name"], body["integration"], now=datetime.now(UTC)
    )
    return _json(
        {
            **connection.as_dict(),
            "tokenId": token_record.id,
            "token": token,
            "ingestUrl": url,
            "commands": setup_commands(connection.name, connection.integration, token, url, region),
            "warnings": warnings_for(url),
        },
        201,
    )


async def delete_connection(request: Request) -> Response:
    authorize(request, "settings:write")
    settings: Settings = request.app.state.settings
    record = settings.delete_connection(request.path_params["name"], now=datetime.now(UTC))
    return _json(record.as_dict())


ROUTES = [
    Route("/platform/connections", list_connections, methods=["GET"]),
    Route("/platform/connections", create_connection, methods=["POST"]),
    Route("/platform/connections/{name}", delete_connection, methods=["DELETE"]),
]
