"""Workflows: the platform's automation API, ``/platform/automation/v1/...``.

``GET|POST /workflows``, ``GET|PUT|DELETE /workflows/{id}``, ``POST /workflows/{id}/run``,
``GET /executions`` (``?workflow=ID``), ``GET /executions/{id}`` and ``GET /executions/{id}/tasks``; scopes
``automation:workflows:read``, ``…:write`` and ``…:run``, checked by the endpoint table (``endpoints.py``).
A definition is sent as JSON or YAML, bare or as a template, and validated before it is stored (a 400 whose
``details.problems`` locate each problem: task, key path, YAML line). Every operation is the engine's
(``services(request).workflows``, a ``threatlake.workflows.hosting.WorkflowHost``), shared with the command
line and the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from threatlake.errors import MediaTypeError, RequestError
from threatlake.state.workflows import StoredWorkflow
from threatlake.web.body import read_body
from threatlake.web.openapi import OBJECT, Operation, Schema, json_body, path_parameter
from threatlake.web.principal import caller
from threatlake.web.services import services
from threatlake.workflows.definition import Workflow, workflow_object
from threatlake.workflows.errors import DefinitionError, WorkflowError
from threatlake.workflows.hosting import WorkflowHost
from threatlake.workflows.runner import Trigger

__all__ = [
    "BASE",
    "CREATE",
    "DELETE",
    "EXECUTION",
    "EXECUTIONS",
    "GET",
    "LIST",
    "READ_SCOPE",
    "RUN",
    "RUN_SCOPE",
    "TASKS",
    "UPDATE",
    "WRITE_SCOPE",
    "create_workflow",
    "delete_workflow",
    "execution_tasks",
    "get_execution",
    "get_workflow",
    "list_executions",
    "list_workflows",
    "run_workflow",
    "update_workflow",
]

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
    found = await _engine_call(_host(request).engine.workflows)
    results = [_workflow(stored, workflow) for stored, workflow in found]
    return _json({"count": len(results), "results": results})


async def get_workflow(request: Request) -> Response:
    engine = _host(request).engine
    stored, workflow = await _engine_call(lambda: engine.get(request.path_params["id"]))
    return _json(_workflow(stored, workflow))


async def create_workflow(request: Request) -> Response:
    data, engine = await _definition(request), _host(request).engine
    stored, workflow = await _engine_call(lambda: engine.save(data))
    return _json(_workflow(stored, workflow), 201)


async def update_workflow(request: Request) -> Response:
    """Replace a workflow; ``?version=N`` (or ``If-Match: N``) refuses a stale update with 409."""
    data, engine = await _definition(request), _host(request).engine
    expected = request.query_params.get("version") or request.headers.get("if-match", "").strip('"')
    if expected and not expected.isdigit():
        raise RequestError("'version' must be a whole number", {"parameter": "version"})
    version = int(expected) if expected else None
    workflow_id = request.path_params["id"]
    stored, workflow = await _engine_call(lambda: engine.save(data, workflow_id, version=version))
    return _json(_workflow(stored, workflow))


async def delete_workflow(request: Request) -> Response:
    engine = _host(request).engine
    await _engine_call(lambda: engine.delete(request.path_params["id"]))
    return Response(status_code=204)


async def run_workflow(request: Request) -> Response:
    """Start an execution now; answers at once with it (``state`` ``RUNNING``), 201."""
    who = caller(request)
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
    trigger = Trigger("Manual", params=params, actor=f"{who.kind} {who.name}")
    try:
        record = await _host(request).launch(request.path_params["id"], trigger)
    except WorkflowError as error:
        raise _invalid(error) from None
    return _json(record, 201)


async def list_executions(request: Request) -> Response:
    engine, limit = _host(request).engine, _limit(request)
    workflow = request.query_params.get("workflow") or None
    found = await _engine_call(lambda: engine.executions_of(workflow, limit))
    results = [{key: value for key, value in record.items() if key != "tasks"} for record in found]
    return _json({"count": len(results), "results": results})


async def get_execution(request: Request) -> Response:
    engine = _host(request).engine
    record = await _engine_call(lambda: engine.execution(request.path_params["id"]))
    return _json(record)


async def execution_tasks(request: Request) -> Response:
    engine = _host(request).engine
    record = await _engine_call(lambda: engine.execution(request.path_params["id"]))
    return _json(record.get("tasks", {}))


_ID = (path_parameter("id"),)
_WORKFLOW: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "title": {"type": "string"},
        "version": {"type": "integer"},
        "tasks": OBJECT,
        "trigger": OBJECT,
        "modificationInfo": OBJECT,
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
}
_TASK: Schema = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "state": {
            "type": "string",
            "enum": ["PENDING", "RUNNING", "SUCCESS", "ERROR", "SKIPPED", "CANCELLED"],
        },
        "stateInfo": {"type": ["string", "null"]},
        "input": {},
        "result": {},
    },
}
_EXECUTION: Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "workflow": {"type": "string"},
        "state": {"type": "string", "enum": ["RUNNING", "SUCCESS", "ERROR", "CANCELLED"]},
        "stateInfo": {"type": ["string", "null"]},
        "triggerType": {"type": "string"},
        "startedAt": {"type": "string"},
        "endedAt": {"type": ["string", "null"]},
        "tasks": {"type": "object", "additionalProperties": _TASK},
    },
}


def _page(item: Schema) -> Schema:
    return {
        "type": "object",
        "properties": {"count": {"type": "integer"}, "results": {"type": "array", "items": item}},
    }


_DEFINITION = {
    "content": {
        "application/json": {"schema": OBJECT},
        "application/yaml": {"schema": {"type": "string"}},
    }
}
_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": _MAX_LIMIT}}
LIST = Operation("List workflows", {"200": ("Every workflow", _page(_WORKFLOW))}, ("401", "403"))
GET = Operation("Get a workflow", {"200": ("The workflow", _WORKFLOW)}, ("401", "403", "404"), parameters=_ID)
CREATE = Operation(
    "Create a workflow (the platform's format, JSON or YAML; validated)",
    {"201": ("The stored workflow", _WORKFLOW)},
    ("400", "401", "403", "413", "415"),
    body=_DEFINITION,
)
UPDATE = Operation(
    "Replace a workflow (?version=N refuses a stale update)",
    {"200": ("The stored workflow, its version one higher", _WORKFLOW)},
    ("400", "401", "403", "404", "409", "413", "415"),
    body=_DEFINITION,
    parameters=(*_ID, {"name": "version", "in": "query", "schema": {"type": "integer"}}),
)
DELETE = Operation("Delete a workflow", {"204": ("Deleted", None)}, ("401", "403", "404"), parameters=_ID)
RUN = Operation(
    "Run a workflow now; answers at once with the execution (RUNNING)",
    {"201": ("The execution as it started", _EXECUTION)},
    ("400", "401", "403", "404"),
    body=json_body({"type": "object", "properties": {"params": OBJECT}}),
    parameters=_ID,
)
EXECUTIONS = Operation(
    "List executions, newest first (?workflow=ID)",
    {"200": ("The executions (without their tasks)", _page(_EXECUTION))},
    ("400", "401", "403", "404"),
    parameters=({"name": "workflow", "in": "query", "schema": {"type": "string"}}, _LIMIT),
)
EXECUTION = Operation(
    "Get an execution with its tasks",
    {"200": ("The execution", _EXECUTION)},
    ("401", "403", "404"),
    parameters=_ID,
)
TASKS = Operation(
    "An execution's tasks by name: state, rendered input, result, error",
    {"200": ("The tasks", {"type": "object", "additionalProperties": _TASK})},
    ("401", "403", "404"),
    parameters=_ID,
)
