"""Tokens: ``GET/POST /platform/tokens`` and ``DELETE /platform/tokens/{id}``.

A created token's full text is in the creation response only; listing shows everything but the secret.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.errors import RequestError
from threatlake.service.access import create_token as issue_token
from threatlake.state.tokens import DEFAULT_CONNECTION
from threatlake.web.auth import authorize
from threatlake.web.body import read_json_object
from threatlake.web.services import services

__all__ = ["ROUTES"]

_MAX_BODY = 64 * 1024


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


async def list_tokens(request: Request) -> Response:
    authorize(request, "settings:read")
    tokens = services(request).state.tokens
    return _json({"tokens": [token.as_dict() for token in tokens.list()]})


async def create_token(request: Request) -> Response:
    authorize(request, "settings:write")
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
    record, token = issue_token(
        services(request).state, scopes, now=datetime.now(UTC), name=name, connection=connection
    )
    return _json({**record.as_dict(), "token": token}, 201)


async def revoke_token(request: Request) -> Response:
    authorize(request, "settings:write")
    record = services(request).state.tokens.revoke(request.path_params["id"], now=datetime.now(UTC))
    return _json(record.as_dict())


ROUTES = [
    Route("/platform/tokens", list_tokens, methods=["GET"]),
    Route("/platform/tokens", create_token, methods=["POST"]),
    Route("/platform/tokens/{id}", revoke_token, methods=["DELETE"]),
]
