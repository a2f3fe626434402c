"""Workflows: the platform's automation API, ``/platform/automation/v1/...``.

``GET|POST /workflows``, ``GET|PUT|DELETE /workflows/{id}``, ``POST /workflows/{id}/run``,
``GET /executions`` (``?workflow=ID``), ``GET /executions/{id}`` and ``GET /executions/{id}/tasks``; scopes
``automation:workflows:read``, ``…:write`` and ``…:run``. A definition is sent as JSON or YAML, bare or as a
template, and validated before it is stored (a 400 whose ``details.problems`` locate each problem: task, key
path, YAML line). Every operation is the engine's (``services(request).workflows``, a
``threatlake.workflows.hosting.WorkflowHost``), shared with the command line and the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.errors import MediaTypeError, RequestError
from threatlake.state.workflows import StoredWorkflow
from threatlake.web.auth import authorize
from threatlake.web.body import read_body
from threatlake.web.services import services
from threatlake.workflows.definition import Workflow, workflow_object
from threatlake.workflows.errors import DefinitionError, WorkflowError
from threatlake.workflows.hosting import WorkflowHost
from threatlake.workflows.runner import Trigger

__all__ = ["BASE", "READ_SCOPE", "ROUTES", "RUN_SCOPE", "WRITE_SCOPE"]

BASE = "/platform/automation/v1"
READ_SCOPE = "automation:workflows:read"
WRITE_SCOPE = "automation:workflows:write"
RUN_SCOPE = "automation:workflows:run"
_MAX_BODY = 1024 * 1024
_MAX_LIMIT = 1000
_TYPES = (
    "application/json",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "text/plain",
)


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _host(request: Request) -> WorkflowHost:
    host = services(request).workflows
    if host is None:
        raise WorkflowError("workflows are not available in this service")
    return host


def _invalid(error: WorkflowError) -> RequestError:
    if isinstance(error, DefinitionError):
        problems = [
            {"path": p.path, "task": p.task, "line": p.line, "message": p.message} for p in error.problems
        ]
        return RequestError(error.message, {"problems": problems})
    return RequestError(error.message)


_T = TypeVar("_T")


async def _engine_call(call: Callable[[], _T]) -> _T:
    """Run a blocking engine operation off the event loop; its refusals are the client's 400."""
    try:
        return await run_in_threadpool(call)
    except WorkflowError as error:
        raise _invalid(error) from None


def _workflow(stored: StoredWorkflow, workflow: Workflow) -> dict[str, Any]:
    """The platform's workflow object: the definition's keys, then its id and version."""
    body = dict(workflow_object(stored.document))
    body.update(
        id=stored.id,
        title=workflow.title,
        version=stored.version,
        modificationInfo={
            "createdTime": stored.created.isoformat(),
            "lastModifiedTime": stored.updated.isoformat(),
        },
        warnings=list(workflow.warnings),
    )
    return body


async def _definition(request: Request) -> bytes:
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media not in _TYPES:
        raise MediaTypeError(f"send the workflow as JSON or YAML, not {media!r}", {"accepted": list(_TYPES)})
    return await read_body(request, _MAX_BODY)


def _limit(request: Request) -> int:
    text = request.query_params.get("limit", "100")
    if not text.isdigit() or not 1 <= int(text) <= _MAX_LIMIT:
        raise RequestError(f"'limit' must be a number from 1 to {_MAX_LIMIT}", {"parameter": "limit"})
    return int(text)


async def list_workflows(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    found = await _engine_call(_host(request).engine.workflows)
    results = [_workflow(stored, workflow) for stored, workflow in found]
    return _json({"count": len(results), "results": results})


async def get_workflow(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    engine = _host(request).engine
    stored, workflow = await _engine_call(lambda: engine.get(request.path_params["id"]))
    return _json(_workflow(stored, workflow))


async def create_workflow(request: Request) -> Response:
    authorize(request, WRITE_SCOPE)
    data, engine = await _definition(request), _host(request).engine
    stored, workflow = await _engine_call(lambda: engine.save(data))
    return _json(_workflow(stored, workflow), 201)


async def update_workflow(request: Request) -> Response:
    """Replace a workflow; ``?version=N`` (or ``If-Match: N``) refuses a stale update with 409."""
    authorize(request, WRITE_SCOPE)
    data, engine = await _definition(request), _host(request).engine
    expected = request.query_params.get("version") or request.headers.get("if-match", "").strip('"')
    if expected and not expected.isdigit():
        raise RequestError("'version' must be a whole number", {"parameter": "version"})
    version = int(expected) if expected else None
    workflow_id = request.path_params["id"]
    stored, workflow = await _engine_call(lambda: engine.save(data, workflow_id, version=version))
    return _json(_workflow(stored, workflow))


async def delete_workflow(request: Request) -> Response:
    authorize(request, WRITE_SCOPE)
    engine = _host(request).engine
    await _engine_call(lambda: engine.delete(request.path_params["id"]))
    return Response(status_code=204)


async def run_workflow(request: Request) -> Response:
    """Start an execution now; answers at once with it (``state`` ``RUNNING``), 201."""
    token = authorize(request, RUN_SCOPE)
    data = await read_body(request, 64 * 1024)
    try:
        body = orjson.loads(data) if data.strip() else {}
    except orjson.JSONDecodeError as error:
        raise RequestError(f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise RequestError('the body must be a JSON object: {"params": {...}}')
    params = body.get("params", body.get("input", {}))
    if not isinstance(params, dict):
        raise RequestError("'params' must be an object", {"field": "params"})
    trigger = Trigger("Manual", params=params, actor=f"token {token.id}")
    try:
        record = await _host(request).launch(request.path_params["id"], trigger)
    except WorkflowError as error:
        raise _invalid(error) from None
    return _json(record, 201)


async def list_executions(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    engine, limit = _host(request).engine, _limit(request)
    workflow = request.query_params.get("workflow") or None
    found = await _engine_call(lambda: engine.executions_of(workflow, limit))
    results = [{key: value for key, value in record.items() if key != "tasks"} for record in found]
    return _json({"count": len(results), "results": results})


async def get_execution(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    engine = _host(request).engine
    record = await _engine_call(lambda: engine.execution(request.path_params["id"]))
    return _json(record)


async def execution_tasks(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    engine = _host(request).engine
    record = await _engine_call(lambda: engine.execution(request.path_params["id"]))
    return _json(record.get("tasks", {}))


ROUTES = [
    Route(f"{BASE}/workflows", list_workflows, methods=["GET"]),
    Route(f"{BASE}/workflows", create_workflow, methods=["POST"]),
    Route(f"{BASE}/workflows/{{id}}", get_workflow, methods=["GET"]),
    Route(f"{BASE}/workflows/{{id}}", update_workflow, methods=["PUT"]),
    Route(f"{BASE}/workflows/{{id}}", delete_workflow, methods=["DELETE"]),
    Route(f"{BASE}/workflows/{{id}}/run", run_workflow, methods=["POST"]),
    Route(f"{BASE}/executions", list_executions, methods=["GET"]),
    Route(f"{BASE}/executions/{{id}}", get_execution, methods=["GET"]),
    Route(f"{BASE}/executions/{{id}}/tasks", execution_tasks, methods=["GET"]),
]
