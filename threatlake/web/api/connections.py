"""Connections: ``GET/POST /platform/connections``, ``DELETE /platform/connections/{name}``; their counters.

A connection is an AWS integration sending to this service through its own ingest token. Creating one returns
the token (this once) and the filled-in AWS commands that store it and deploy the forwarder; deleting one
revokes its tokens (its events stay). The counters are kept by ``threatlake.service.counters``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from threatlake.aws.setup import check_region, ingest_url, setup_commands, warnings_for
from threatlake.errors import RequestError
from threatlake.service import access
from threatlake.state.connections import INTEGRATIONS
from threatlake.web.body import read_json_object
from threatlake.web.openapi import Operation, Schema, json_body, path_parameter
from threatlake.web.services import services

__all__ = ["CREATE", "DELETE", "LIST", "create_connection", "delete_connection", "list_connections"]


_MAX_BODY = 64 * 1024


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _optional_string(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is not None and (not isinstance(value, str) or not value):
        raise RequestError(f"'{field}' must be a non-empty string when given", {"field": field})
    return value


async def list_connections(request: Request) -> Response:
    found = await run_in_threadpool(access.list_connections, services(request).state)
    return _json({"connections": [item.as_dict() for item in found]})


async def create_connection(request: Request) -> Response:
    body = await read_json_object(request, _MAX_BODY)
    for field in ("integration", "name"):
        if not isinstance(body.get(field), str):
            raise RequestError(f"'{field}' must be a string", {"field": field})
    endpoint = _optional_string(body, "endpoint")
    url = ingest_url(endpoint or services(request).config.public_url or str(request.base_url))
    region = check_region(_optional_string(body, "region"))
    state = services(request).state
    connection, token_record, token = await run_in_threadpool(
        lambda: access.create_connection(state, body["name"], body["integration"], now=datetime.now(UTC))
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
    state, name = services(request).state, request.path_params["name"]
    record = await run_in_threadpool(lambda: access.delete_connection(state, name, now=datetime.now(UTC)))
    return _json(record.as_dict())


_FIELDS: Schema = {
    "name": {"type": "string"},
    "integration": {"type": "string"},
    "created": {"type": "string"},
    "tokens": {"type": "array", "items": {"type": "string"}},
    "eventsReceived": {"type": "integer"},
    "lastSeen": {"type": ["string", "null"]},
}
_CONNECTION: Schema = {"type": "object", "properties": _FIELDS}
LIST = Operation(
    "List connections with events received and last seen",
    {
        "200": (
            "Every connection",
            {"type": "object", "properties": {"connections": {"type": "array", "items": _CONNECTION}}},
        )
    },
    ("401", "403"),
)
CREATE = Operation(
    "Create a connection: its ingest token (in this response only) and the AWS commands",
    {
        "201": (
            "The new connection, its token and the commands",
            {
                "type": "object",
                "properties": {
                    **_FIELDS,
                    "tokenId": {"type": "string"},
                    "token": {"type": "string"},
                    "ingestUrl": {"type": "string"},
                    "commands": {"type": "array", "items": {"type": "string"}},
                    "warnings": {"type": "array", "items": {"type": "string"}},
                },
            },
        )
    },
    ("400", "401", "403", "409"),
    body=json_body(
        {
            "type": "object",
            "required": ["integration", "name"],
            "properties": {
                "integration": {"type": "string", "enum": list(INTEGRATIONS)},
                "name": {"type": "string"},
                "endpoint": {"type": "string"},
                "region": {"type": "string"},
            },
        }
    ),
)
DELETE = Operation(
    "Delete a connection and revoke its tokens (its events stay)",
    {"200": ("The deleted connection", _CONNECTION)},
    ("400", "401", "403", "404"),
    parameters=(path_parameter("name"),),
)
