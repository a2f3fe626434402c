"""Connections: ``GET/POST /platform/connections``, ``DELETE /platform/connections/{name}``; their counters.

A connection is an AWS integration sending to this service through its own ingest token. Creating one returns
the token (this once) and the filled-in AWS commands that store it and deploy the forwarder; deleting one
revokes its tokens (its events stay). The counters are kept by ``threatlake.service.counters``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.aws.setup import check_region, ingest_url, setup_commands, warnings_for
from threatlake.errors import RequestError
from threatlake.service import access
from threatlake.web.auth import authorize
from threatlake.web.body import read_json_object
from threatlake.web.services import services

__all__ = ["ROUTES"]


_MAX_BODY = 64 * 1024


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _optional_string(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and (not isinstance(value, str) or not value):
        raise RequestError(f"'{field}' must be a non-empty string when given", {"field": field})
    return value


async def list_connections(request: Request) -> Response:
    authorize(request, "settings:read")
    found = access.list_connections(services(request).state)
    return _json({"connections": [item.as_dict() for item in found]})


async def create_connection(request: Request) -> Response:
    authorize(request, "settings:write")
    body = await read_json_object(request, _MAX_BODY)
    for field in ("integration", "name"):
        if not isinstance(body.get(field), str):
            raise RequestError(f"'{field}' must be a string", {"field": field})
    endpoint = _optional_string(body, "endpoint")
    url = ingest_url(endpoint or str(request.base_url))
    region = check_region(_optional_string(body, "region"))
    connection, token_record, token = access.create_connection(
        services(request).state, body["name"], body["integration"], now=datetime.now(UTC)
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
    record = access.delete_connection(
        services(request).state, request.path_params["name"], now=datetime.now(UTC)
    )
    return _json(record.as_dict())


ROUTES = [
    Route("/platform/connections", list_connections, methods=["GET"]),
    Route("/platform/connections", create_connection, methods=["POST"]),
    Route("/platform/connections/{name}", delete_connection, methods=["DELETE"]),
]
