"""The OpenAPI document (``GET /platform/openapi.json``), generated from the endpoint table.

Each row of ``web/endpoints.py`` carries its scope and an ``Operation`` (summary, responses, body,
parameters) written beside its handler; ``document`` turns the table into OpenAPI 3.1, so the document can
never disagree with the routes or with the scopes the app enforces. The schema pieces several endpoints
share live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "ARRAY",
    "ERROR",
    "OBJECT",
    "Documented",
    "Operation",
    "document",
    "json_body",
    "path_parameter",
]

Schema = dict[str, Any]

ERROR: Schema = {
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
    "401": "Missing, malformed, unknown, expired or revoked token (or no session)",
    "403": "The token or user lacks the scope",
    "404": "No such resource",
    "408": "The request head or body did not arrive in time",
    "409": "A resource with that name exists, or it changed meanwhile",
    "410": "The query result is gone (expired, cancelled or unknown request token)",
    "413": "Body over the limit (as sent or decompressed)",
    "415": "Unsupported content type or encoding",
    "429": "Too much at once; retry after Retry-After seconds",
    "503": "Starting or shutting down",
    "504": "The query did not finish within its timeout",
}
OBJECT: Schema = {"type": "object"}
ARRAY: Schema = {"type": "array", "items": OBJECT}


def json_body(schema: Schema) -> Schema:
    return {"content": {"application/json": {"schema": schema}}}


def path_parameter(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


@dataclass(frozen=True, slots=True)
class Operation:
    """How an endpoint is described: its summary, success responses, error statuses, body, parameters."""

    summary: str
    ok: Mapping[str, tuple[str, Schema | None]]
    errors: tuple[str, ...] = ()
    body: Schema | None = None
    parameters: tuple[Schema, ...] = field(default=())

    def render(self, scope: str | tuple[str, ...] | None) -> Schema:
        responses: Schema = {}
        for status, (description, schema) in self.ok.items():
            responses[status] = {"description": description, **(json_body(schema) if schema else {})}
        for status in self.errors:
            responses[status] = {"description": _REASONS[status], **json_body(ERROR)}
        operation: Schema = {"summary": self.summary, "responses": responses}
        if scope is None:
            operation["security"] = []
        else:
            operation["description"] = scope_text(scope)
        if self.body is not None:
            operation["requestBody"] = {"required": True, **self.body}
        if self.parameters:
            operation["parameters"] = list(self.parameters)
        return operation


def scope_text(scope: str | tuple[str, ...]) -> str:
    """How an operation's description names its scope (a tuple: any one of them)."""
    if isinstance(scope, str):
        return f"Scope: `{scope}`."
    return "Scope: one of " + ", ".join(f"`{one}`" for one in scope) + "."


class Documented(Protocol):
    """What ``document`` reads of an endpoint row (``web.endpoints.Endpoint``)."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def scope(self) -> str | tuple[str, ...] | None: ...

    @property
    def operation(self) -> Operation: ...


def document(endpoints: Iterable[Documented]) -> Schema:
    """OpenAPI 3.1 for ``endpoints`` (rows with ``method``, ``path``, ``scope`` and ``operation``)."""
    paths: Schema = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = endpoint.operation.render(
            endpoint.scope
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Threatlake", "version": "0.1.0"},
        "components": {
            "securitySchemes": {
                "ApiToken": {"type": "apiKey", "in": "header", "name": "Authorization"},
                "Session": {"type": "apiKey", "in": "cookie", "name": "tl_session"},
            }
        },
        "security": [{"ApiToken": []}, {"Session": []}],
        "paths": paths,
    }
