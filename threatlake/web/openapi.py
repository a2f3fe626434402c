"""The OpenAPI document of the service (``GET /platform/openapi.json``), written by hand.

Kept beside the routes it describes: a test checks that every route of the app is in it and in docs/api.md.
"""

from __future__ import annotations

from typing import Any

from threatlake.web.api import documents

__all__ = ["document"]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
_REASONS = {
    "400": "Invalid request or body (what and where)",
    "401": "Missing, malformed, unknown or revoked token",
    "403": "The token lacks the scope",
    "404": "No such resource",
    "409": "A resource with that name exists",
    "410": "The query result is gone (expired, cancelled or unknown request token)",
    "413": "Body over the limit (as sent or decompressed)",
    "415": "Unsupported content type or encoding",
    "429": "The store cannot keep up; retry after Retry-After seconds",
    "503": "Starting or shutting down",
}
_OBJECT: dict[str, Any] = {"type": "object"}
_ARRAY: dict[str, Any] = {"type": "array", "items": _OBJECT}
_QUERY_STATE = {
    "type": "object",
    "required": ["state", "progress"],
    "properties": {
        "state": {"type": "string", "enum": ["RUNNING", "SUCCEEDED"]},
        "requestToken": {"type": "string"},
        "progress": {"type": "integer"},
        "ttlSeconds": {"type": "integer"},
        "result": {
            "type": "object",
            "properties": {"records": {"type": "array"}, "types": {"type": "array"}, "metadata": _OBJECT},
        },
    },
}
_TOKEN = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "scopes": {"type": "array", "items": {"type": "string"}},
        "connection": {"type": "string"},
        "created": {"type": "string"},
        "lastUsed": {"type": ["string", "null"]},
        "revoked": {"type": ["string", "null"]},
    },
}
_CONNECTION_FIELDS: dict[str, Any] = {
    "name": {"type": "string"},
    "integration": {"type": "string"},
    "created": {"type": "string"},
    "tokens": {"type": "array", "items": {"type": "string"}},
    "eventsReceived": {"type": "integer"},
    "lastSeen": {"type": ["string", "null"]},
}
_CONNECTION = {"type": "object", "properties": _CONNECTION_FIELDS}
_NEW_CONNECTION = {
    "type": "object",
    "required": ["integration", "name"],
    "properties": {
        "integration": {"type": "string", "enum": ["amazon-guardduty", "aws-security-hub"]},
        "name": {"type": "string"},
        "endpoint": {"type": "string"},
        "region": {"type": "string"},
    },
}
_CREATED_CONNECTION = {
    "type": "object",
    "properties": {
        **_CONNECTION_FIELDS,
        "tokenId": {"type": "string"},
        "token": {"type": "string"},
        "ingestUrl": {"type": "string"},
        "commands": {"type": "array", "items": {"type": "string"}},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
_REQUEST_TOKEN = {"name": "request-token", "in": "query", "required": True, "schema": {"type": "string"}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _operation(
    summary: str,
    scope: str | None,
    ok: dict[str, tuple[str, dict[str, Any] | None]],
    errors: tuple[str, ...],
    *,
    body: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, schema) in ok.items():
        responses[status] = {"description": description, **(_json(schema) if schema else {})}
    for status in errors:
        responses[status] = {"description": _REASONS[status], **_json(_ERROR)}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if scope is None:
        operation["security"] = []
    else:
        operation["description"] = f"Scope: `{scope}`."
    if body is not None:
        operation["requestBody"] = {"required": True, **body}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _ingest(scope: str, custom: bool) -> dict[str, Any]:
    findings = {"oneOf": [_OBJECT, {"type": "array", "items": _OBJECT}]}
    accepted = {
        "type": "object",
        "required": ["accepted", "rejected", "errors"],
        "properties": {
            "accepted": {"type": "integer"},
            "rejected": {"type": "integer"},
            "errors": {"type": "array", "items": _OBJECT},
        },
    }
    name = (
        [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}] if custom else None
    )
    return {
        "post": _operation(
            "Ingest findings (JSON object or array, or NDJSON as application/x-ndjson; gzip accepted)",
            scope,
            {"202": ("Every accepted event is durably stored", accepted)},
            ("400", "401", "403", "413", "415", "429", "503"),
            body=_json(findings),
            parameters=name,
        )
    }


def document() -> dict[str, Any]:
    ingest_scope, custom_scope = "openpipeline.events_security", "openpipeline.events_security.custom"
    read = "storage:security.events:read"
    base = "/platform/storage/query/v1"
    execute_body = {
        "type": "object",
        "required": ["query"],
        "properties": {
            "query": {"type": "string"},
            "defaultTimeframeStart": {"type": "string"},
            "defaultTimeframeEnd": {"type": "string"},
            "timezone": {"type": "string"},
            "maxResultRecords": {"type": "integer", "minimum": 0},
            "requestTimeoutMilliseconds": {"type": "integer", "minimum": 0},
        },
    }
    verify_body = {"type": "object", "required": ["query"], "properties": {"query": {"type": "string"}}}
    verified = {
        "type": "object",
        "properties": {"valid": {"type": "boolean"}, "notifications": {"type": "array"}},
    }
    status = {"type": "object", "properties": {"status": {"type": "string"}}}
    wait = {
        "name": "request-timeout-milliseconds",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0},
    }
    token_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    pipeline_name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    new_token = {
        "type": "object",
        "required": ["scopes"],
        "properties": {
            "scopes": {"type": "array", "items": {"type": "string"}},
            "name": {"type": "string"},
            "connection": {"type": "string"},
        },
    }
    paths: dict[str, Any] = {
        "/platform/ingest/v1/security.events": _ingest(ingest_scope, False),
        "/platform/ingest/v1/events.security": _ingest(ingest_scope, False),
        "/platform/ingest/custom/security.events/{name}": _ingest(custom_scope, True),
        "/platform/ingest/custom/events.security/{name}": _ingest(custom_scope, True),
        f"{base}/query:execute": {
            "post": _operation(
                "Run a DQL query",
                read,
                {"202": ("SUCCEEDED with the result, or RUNNING with a request token", _QUERY_STATE)},
                ("400", "401", "403", "503"),
                body=_json(execute_body),
            )
        },
        f"{base}/query:poll": {
            "get": _operation(
                "Poll a running query (long polling)",
                read,
                {"200": ("The query's state and, when done, its result", _QUERY_STATE)},
                ("400", "401", "403", "410"),
                parameters=[_REQUEST_TOKEN, wait],
            )
        },
        f"{base}/query:cancel": {
            "post": _operation(
                "Cancel a query",
                read,
                {"200": ("The query had finished: its result", _QUERY_STATE), "202": ("Cancelled", None)},
                ("400", "401", "403", "410"),
                parameters=[_REQUEST_TOKEN],
            )
        },
        f"{base}/query:verify": {
            "post": _operation(
                "Check whether a query compiles",
                read,
                {"200": ("Valid or not, with positioned errors", verified)},
                ("400", "401", "403"),
                body=_json(verify_body),
            )
        },
        "/platform/tokens": {
            "get": _operation(
                "List tokens",
                "settings:read",
                {
                    "200": (
                        "Every token (never its secret)",
                        {"type": "object", "properties": {"tokens": {"type": "array", "items": _TOKEN}}},
                    )
                },
                ("401", "403"),
            ),
            "post": _operation(
                "Create a token (its text is in this response only)",
                "settings:write",
                {"201": ("The new token", _TOKEN)},
                ("400", "401", "403"),
                body=_json(new_token),
            ),
        },
        "/platform/tokens/{id}": {
            "delete": _operation(
                "Revoke a token",
                "settings:write",
                {"200": ("The revoked token", _TOKEN)},
                ("401", "403", "404"),
                parameters=[token_id],
            )
        },
        "/platform/pipelines": {
            "get": _operation(
                "List pipelines",
                "settings:read",
                {"200": ("Every stored pipeline", {"type": "object", "properties": {"pipelines": _ARRAY}})},
                ("401", "403"),
            )
        },
        "/platform/pipelines/{name}": {
            "get": _operation(
                "One pipeline with its definition as stored",
                "settings:read",
                {"200": ("The pipeline", _OBJECT)},
                ("401", "403", "404"),
                parameters=[pipeline_name],
            ),
            "put": _operation(
                "Create or replace a pipeline (YAML or JSON); validated before it is stored",
                "settings:write",
                {"200": ("Replaced", _OBJECT), "201": ("Created", _OBJECT)},
                ("400", "401", "403", "415"),
                body={
                    "content": {
                        "application/yaml": {"schema": {"type": "string"}},
                        "application/json": {"schema": _OBJECT},
                    }
                },
                parameters=[pipeline_name],
            ),
            "delete": _operation(
                "Delete a pipeline",
                "settings:write",
                {"204": ("Deleted", None)},
                ("401", "403", "404"),
                parameters=[pipeline_name],
            ),
        },
        "/platform/connections": {
            "get": _operation(
                "List connections with events received and last seen",
                "settings:read",
                {
                    "200": (
                        "Every connection",
                        {
                            "type": "object",
                            "properties": {"connections": {"type": "array", "items": _CONNECTION}},
                        },
                    )
                },
                ("401", "403"),
            ),
            "post": _operation(
                "Create a connection: its ingest token (in this response only) and the AWS commands",
                "settings:write",
                {"201": ("The new connection, its token and the commands", _CREATED_CONNECTION)},
                ("400", "401", "403", "409"),
                body=_json(_NEW_CONNECTION),
            ),
        },
        "/platform/connections/{name}": {
            "delete": _operation(
                "Delete a connection and revoke its tokens (its events stay)",
                "settings:write",
                {"200": ("The deleted connection", _CONNECTION)},
                ("400", "401", "403", "404"),
                parameters=[{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            )
        },
        "/platform/buckets": {
            "get": _operation(
                "List buckets",
                "settings:read",
                {"200": ("Every bucket", {"type": "object", "properties": {"buckets": _ARRAY}})},
                ("401", "403"),
            ),
            "post": _operation(
                "Create a bucket",
                "settings:write",
                {"201": ("The new bucket", _OBJECT)},
                ("400", "401", "403", "409"),
                body=_json(
                    {
                        "type": "object",
                        "required": ["name", "retentionDays"],
                        "properties": {"name": {"type": "string"}, "retentionDays": {"type": "integer"}},
                    }
                ),
            ),
        },
        "/platform/buckets/{name}": {
            "delete": _operation(
                "Delete a bucket and its events",
                "settings:write",
                {"200": ("The bucket and how many events were deleted", _OBJECT)},
                ("400", "401", "403", "404"),
                parameters=[pipeline_name],
            )
        },
        "/platform/openapi.json": {
            "get": _operation("This document", None, {"200": ("OpenAPI 3.1", _OBJECT)}, ())
        },
        "/healthz": {"get": _operation("Liveness", None, {"200": ("Alive", status)}, ())},
        "/readyz": {
            "get": _operation(
                "Readiness: store open and writable", None, {"200": ("Ready", status)}, ("503",)
            )
        },
        "/metrics": {
            "get": _operation(
                "Prometheus metrics",
                None,
                {"200": ("Text exposition format", None)},
                (),
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Threatlake", "version": "0.1.0"},
        "components": {
            "securitySchemes": {"ApiToken": {"type": "apiKey", "in": "header", "name": "Authorization"}}
        },
        "security": [{"ApiToken": []}],
        "paths": {**paths, **documents.OPENAPI},
    }
