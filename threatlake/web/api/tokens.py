"""Tokens: ``GET/POST /platform/tokens`` and ``DELETE /platform/tokens/{id}``.

A created token's full text is in the creation response only; listing shows everything but the secret. A
token may expire (``expires``, an ISO 8601 time). The settings database is used off the event loop.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from threatlake.errors import RequestError
from threatlake.model import parse_timestamp
from threatlake.service.access import create_token as issue_token
from threatlake.state.tokens import DEFAULT_CONNECTION
from threatlake.web.body import read_json_object
from threatlake.web.openapi import Operation, Schema, json_body, path_parameter
from threatlake.web.services import services

__all__ = ["CREATE", "LIST", "REVOKE", "create_token", "list_tokens", "revoke_token"]

_MAX_BODY = 64 * 1024


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


async def list_tokens(request: Request) -> Response:
    tokens = await run_in_threadpool(services(request).state.tokens.list)
    return _json({"tokens": [token.as_dict() for token in tokens]})


def _expires(body: dict[str, Any]) -> datetime | None:
    text = body.get("expires")
    if text is None:
        return None
    moment = parse_timestamp(text) if isinstance(text, str) else None
    if moment is None or moment <= datetime.now(UTC):
        raise RequestError("'expires' must be an ISO 8601 time in the future", {"field": "expires"})
    return moment


async def create_token(request: Request) -> Response:
    body = await read_json_object(request, _MAX_BODY)
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        raise RequestError("'scopes' must be a list of scope names", {"field": "scopes"})
    name = body.get("name", "")
    connection = body.get("connection", DEFAULT_CONNECTION)
    if not isinstance(name, str) or len(name) > 100:
        raise RequestError("'name' must be a string of at most 100 characters", {"field": "name"})
    if not isinstance(connection, str):
        raise RequestError("'connection' must be a string", {"field": "connection"})
    expires = _expires(body)
    state = services(request).state
    record, token = await run_in_threadpool(
        lambda: issue_token(
            state, scopes, now=datetime.now(UTC), name=name, connection=connection, expires=expires
        )
    )
    return _json({**record.as_dict(), "token": token}, 201)


async def revoke_token(request: Request) -> Response:
    tokens = services(request).state.tokens
    record = await run_in_threadpool(lambda: tokens.revoke(request.path_params["id"], now=datetime.now(UTC)))
    return _json(record.as_dict())


_TOKEN: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "scopes": {"type": "array", "items": {"type": "string"}},
        "connection": {"type": "string"},
        "created": {"type": "string"},
        "lastUsed": {"type": ["string", "null"]},
        "revoked": {"type": ["string", "null"]},
        "expires": {"type": ["string", "null"]},
    },
}
LIST = Operation(
    "List tokens",
    {
        "200": (
            "Every token (never its secret)",
            {"type": "object", "properties": {"tokens": {"type": "array", "items": _TOKEN}}},
        )
    },
    ("401", "403"),
)
CREATE = Operation(
    "Create a token (its text is in this response only)",
    {"201": ("The new token", _TOKEN)},
    ("400", "401", "403"),
    body=json_body(
        {
            "type": "object",
            "required": ["scopes"],
            "properties": {
                "scopes": {"type": "array", "items": {"type": "string"}},
                "name": {"type": "string"},
                "connection": {"type": "string"},
                "expires": {"type": "string"},
            },
        }
    ),
)
REVOKE = Operation(
    "Revoke a token",
    {"200": ("The revoked token", _TOKEN)},
    ("401", "403", "404"),
    parameters=(path_parameter("id"),),
)
