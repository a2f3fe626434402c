"""The endpoint table: every API endpoint once, with the scope it needs and how it is documented.

This table is the single source of three things: the routes the app mounts (``routes``), the scope check
in front of each handler (a handler never checks scopes itself), and the OpenAPI document
(``openapi.document(ENDPOINTS)``). A test checks that every route of the app comes from this table (or from
the pages, ``web.app.PAGES``) and that every scope named here is a known one.

Adding an endpoint: write the handler and its ``Operation`` in its ``web/api`` module, add one row here and
a line in docs/api.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.web import ops
from threatlake.web.api import buckets, connections, documents, ingest, pipelines, query, tokens, workflows
from threatlake.web.openapi import Operation
from threatlake.web.principal import require

__all__ = ["ENDPOINTS", "Endpoint", "routes"]

Handler = Callable[[Request], Awaitable[Response]]

READ = query.SCOPE  # any table's read scope; the query service checks the scope of each table fetched
SETTINGS_READ = "settings:read"
SETTINGS_WRITE = "settings:write"


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    #: the scope a caller needs (a tuple: any one of them); None for the public operational endpoints
    scope: str | tuple[str, ...] | None
    operation: Operation

    def route(self) -> Route:
        handler, scope = self.handler, self.scope
        if scope is None:
            return Route(self.path, handler, methods=[self.method])

        async def guarded(request: Request) -> Response:
            require(request, scope)
            return await handler(request)

        return Route(self.path, guarded, methods=[self.method], name=handler.__name__)


_Q = query.BASE
_P = pipelines.BASE
_W = workflows.BASE
_D = documents.BASE

ENDPOINTS: tuple[Endpoint, ...] = (
    *(Endpoint("POST", path, ingest.ingest, ingest.SCOPE, ingest.INGEST) for path in ingest.INGEST_PATHS),
    *(
        Endpoint("POST", path, ingest.ingest_custom, ingest.CUSTOM_SCOPE, ingest.INGEST_CUSTOM)
        for path in ingest.CUSTOM_PATHS
    ),
    Endpoint("POST", f"{_Q}/query:execute", query.execute, READ, query.EXECUTE),
    Endpoint("GET", f"{_Q}/query:poll", query.poll, READ, query.POLL),
    Endpoint("POST", f"{_Q}/query:cancel", query.cancel, READ, query.CANCEL),
    Endpoint("POST", f"{_Q}/query:verify", query.verify_query, READ, query.VERIFY),
    Endpoint("GET", "/platform/tokens", tokens.list_tokens, SETTINGS_READ, tokens.LIST),
    Endpoint("POST", "/platform/tokens", tokens.create_token, SETTINGS_WRITE, tokens.CREATE),
    Endpoint("DELETE", "/platform/tokens/{id}", tokens.revoke_token, SETTINGS_WRITE, tokens.REVOKE),
    Endpoint("GET", "/platform/connections", connections.list_connections, SETTINGS_READ, connections.LIST),
    Endpoint(
        "POST", "/platform/connections", connections.create_connection, SETTINGS_WRITE, connections.CREATE
    ),
    Endpoint(
        "DELETE",
        "/platform/connections/{name}",
        connections.delete_connection,
        SETTINGS_WRITE,
        connections.DELETE,
    ),
    Endpoint("GET", _P, pipelines.list_pipelines, SETTINGS_READ, pipelines.LIST),
    Endpoint("GET", _P + "/{name}", pipelines.get_pipeline, SETTINGS_READ, pipelines.GET),
    Endpoint("PUT", _P + "/{name}", pipelines.put_pipeline, SETTINGS_WRITE, pipelines.PUT),
    Endpoint("DELETE", _P + "/{name}", pipelines.delete_pipeline, SETTINGS_WRITE, pipelines.DELETE),
    Endpoint("GET", "/platform/buckets", buckets.list_buckets, SETTINGS_READ, buckets.LIST),
    Endpoint("POST", "/platform/buckets", buckets.create_bucket, SETTINGS_WRITE, buckets.CREATE),
    Endpoint("DELETE", "/platform/buckets/{name}", buckets.delete_bucket, SETTINGS_WRITE, buckets.DELETE),
    Endpoint("GET", f"{_W}/workflows", workflows.list_workflows, workflows.READ_SCOPE, workflows.LIST),
    Endpoint("POST", f"{_W}/workflows", workflows.create_workflow, workflows.WRITE_SCOPE, workflows.CREATE),
    Endpoint("GET", f"{_W}/workflows/{{id}}", workflows.get_workflow, workflows.READ_SCOPE, workflows.GET),
    Endpoint(
        "PUT", f"{_W}/workflows/{{id}}", workflows.update_workflow, workflows.WRITE_SCOPE, workflows.UPDATE
    ),
    Endpoint(
        "DELETE", f"{_W}/workflows/{{id}}", workflows.delete_workflow, workflows.WRITE_SCOPE, workflows.DELETE
    ),
    Endpoint(
        "POST", f"{_W}/workflows/{{id}}/run", workflows.run_workflow, workflows.RUN_SCOPE, workflows.RUN
    ),
    Endpoint(
        "GET", f"{_W}/executions", workflows.list_executions, workflows.READ_SCOPE, workflows.EXECUTIONS
    ),
    Endpoint(
        "GET", f"{_W}/executions/{{id}}", workflows.get_execution, workflows.READ_SCOPE, workflows.EXECUTION
    ),
    Endpoint(
        "GET",
        f"{_W}/executions/{{id}}/tasks",
        workflows.execution_tasks,
        workflows.READ_SCOPE,
        workflows.TASKS,
    ),
    Endpoint("GET", _D, documents.list_documents, documents.READ_SCOPE, documents.LIST),
    Endpoint("POST", _D, documents.create_document, documents.WRITE_SCOPE, documents.CREATE),
    Endpoint("GET", _D + "/{id}", documents.get_document, documents.READ_SCOPE, documents.GET),
    Endpoint("PATCH", _D + "/{id}", documents.update_document, documents.WRITE_SCOPE, documents.UPDATE),
    Endpoint("DELETE", _D + "/{id}", documents.delete_document, documents.DELETE_SCOPE, documents.DELETE),
    Endpoint("GET", _D + "/{id}/metadata", documents.get_metadata, documents.READ_SCOPE, documents.METADATA),
    Endpoint("GET", _D + "/{id}/content", documents.get_content, documents.READ_SCOPE, documents.CONTENT),
    Endpoint(
        "PUT", _D + "/{id}/content", documents.replace_content, documents.WRITE_SCOPE, documents.REPLACE
    ),
    Endpoint("GET", "/platform/openapi.json", ops.openapi, None, ops.OPENAPI),
    Endpoint("GET", "/healthz", ops.healthz, None, ops.HEALTHZ),
    Endpoint("GET", "/readyz", ops.readyz, None, ops.READYZ),
    Endpoint("GET", "/metrics", ops.metrics, None, ops.METRICS),
)


def routes() -> list[Route]:
    return [endpoint.route() for endpoint in ENDPOINTS]
