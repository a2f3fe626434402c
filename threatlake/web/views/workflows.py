"""Workflows: ``/automation/workflows`` (the list, enable/disable, install a template), the YAML editor with
its task graph (``/automation/workflows/{id}``, ``…/new``), "Run now", and an execution with each task's
rendered input, result and error (``/automation/executions/{id}``).

Every operation is the workflow engine's (``services(request).workflows``, shared with the REST API, the
command line and the scheduler); seeing needs ``automation:workflows:read``, changing ``…:write``, running
``…:run``. A definition that does not validate is shown back in the editor with each problem at its line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from threatlake.errors import ConflictError, NotFoundError, RequestError
from threatlake.web.api.workflows import READ_SCOPE, RUN_SCOPE, WRITE_SCOPE
from threatlake.web.services import services
from threatlake.web.views.nav import NavLink
from threatlake.web.views.notebooks_markdown import render_markdown
from threatlake.web.views.page import form, page, viewer
from threatlake.web.views.render import render
from threatlake.web.views.workflow_graph import layout
from threatlake.workflows import templates
from threatlake.workflows.definition import Workflow
from threatlake.workflows.document import dump_yaml
from threatlake.workflows.errors import DefinitionError, WorkflowError
from threatlake.workflows.hosting import WorkflowHost
from threatlake.workflows.ports import StoredWorkflow
from threatlake.workflows.runner import Trigger
from threatlake.workflows.schedule import next_run

__all__ = ["BASE", "EXECUTIONS", "NAV", "ROUTES", "host", "template_choices", "template_inputs"]

BASE = "/automation/workflows"
EXECUTIONS = "/automation/executions"
NAV = (NavLink("Automate", "Workflows", BASE, READ_SCOPE),)
_MAX_SHOWN = 50_000  # characters of one task's input or result shown on the page
_BLANK = """\
workflow:
  title: New workflow
  description: ''
  tasks:
    get_findings:
      name: get_findings
      action: dynatrace.automations:execute-dql-query
      input:
        query: |-
          fetch security.events, from:now()-1h
          | filter dt.security.risk.level == "CRITICAL"
          | limit 10
      position: {x: 0, y: 1}
      predecessors: []
  trigger: {}
  schemaVersion: 3
"""

_T = TypeVar("_T")


def host(request: Request) -> WorkflowHost:
    host = services(request).workflows
    if host is None:
        raise WorkflowError("workflows are not available in this service")
    return host


async def _call(request: Request, call: Callable[[WorkflowHost], _T]) -> _T:
    """Run an engine operation off the event loop; its refusals are the viewer's 400 (a definition's
    problems stay a ``DefinitionError``, for the editor to show at their lines)."""
    found = host(request)
    try:
        return await run_in_threadpool(lambda: call(found))
    except DefinitionError:
        raise
    except WorkflowError as error:
        raise RequestError(error.message) from None


def _trigger(workflow: Workflow) -> tuple[str, bool]:
    """What starts a workflow, in words, and whether that trigger is on."""
    if workflow.schedule is not None:
        schedule = workflow.schedule
        every = {
            "cron": f"cron {schedule.cron}",
            "interval": f"every {schedule.interval_minutes} min",
            "time": f"daily at {schedule.time}",
        }[schedule.kind]
        return f"{every} ({schedule.timezone})", schedule.active
    if workflow.event_trigger is not None:
        return f"on new events: {workflow.event_trigger.query}", workflow.event_trigger.active
    return "manual", False


def _next(workflow: Workflow, now: datetime) -> str:
    if workflow.schedule is not None and workflow.schedule.active:
        return next_run(workflow.schedule, now).isoformat(timespec="seconds")
    if workflow.event_trigger is not None and workflow.event_trigger.active:
        return "on the next matching event"
    return ""


def template_choices() -> list[dict[str, Any]]:
    """The shipped templates: name, title, guide (Markdown, as HTML) and inputs with their defaults."""
    found = []
    for name in templates.TEMPLATES:
        workflow = templates.load(name)
        guide = str(workflow.document.get("workflow", {}).get("guide", ""))
        found.append(
            {
                "name": name,
                "title": workflow.title,
                "guide": render_markdown(guide),
                "inputs": workflow.inputs,
            }
        )
    return found


def template_inputs(data: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """A template's inputs from the non-empty form fields ``<prefix><input>`` (empty: the default)."""
    return {
        key.removeprefix(prefix): str(value).strip()
        for key, value in data.items()
        if key.startswith(prefix) and str(value).strip()
    }


async def list_page(request: Request) -> Response:
    now = datetime.now(UTC)

    def rows(host: WorkflowHost) -> list[dict[str, Any]]:
        found = []
        for stored, workflow in host.engine.workflows():
            last = host.engine.executions.list_executions(stored.id, 1)
            trigger, active = _trigger(workflow)
            has_trigger = workflow.schedule is not None or workflow.event_trigger is not None
            found.append(
                {"stored": stored, "workflow": workflow, "trigger": trigger, "active": active,
                 "has_trigger": has_trigger, "last": last[0] if last else None, "next": _next(workflow, now)}
            )  # fmt: skip
        return sorted(found, key=lambda row: row["workflow"].title.lower())

    context = {
        "rows": await _call(request, rows),
        "templates": template_choices(),
        "can_write": viewer(request).can(WRITE_SCOPE),
        "can_run": viewer(request).can(RUN_SCOPE),
        "note": request.query_params.get("note", ""),
    }
    return render(request, "workflows.html", context)


def _editor(
    request: Request,
    *,
    text: str,
    stored: StoredWorkflow | None,
    workflow: Workflow | None,
    problems: list[dict[str, Any]] | None = None,
    error: str = "",
    status: int = 200,
    executions: list[dict[str, Any]] | None = None,
) -> Response:
    context = {
        "text": text,
        "stored": stored,
        "workflow": workflow,
        "graph": layout(workflow) if workflow is not None else None,
        "problems": problems or [],
        "error": error,
        "executions": executions or [],
        "can_write": viewer(request).can(WRITE_SCOPE),
        "can_run": viewer(request).can(RUN_SCOPE),
        "note": request.query_params.get("note", ""),
        "trigger": _trigger(workflow) if workflow is not None else ("", False),
    }
    return render(request, "workflow.html", context, status=status)


def _problems(error: DefinitionError) -> list[dict[str, Any]]:
    return [{"line": p.line, "task": p.task, "path": p.path, "message": p.message} for p in error.problems]


async def new_page(request: Request) -> Response:
    return _editor(request, text=_BLANK, stored=None, workflow=None)


def _found(host: WorkflowHost, workflow_id: str) -> tuple[StoredWorkflow, Workflow, list[dict[str, Any]]]:
    """A stored workflow, parsed, with its 20 latest executions."""
    stored, workflow = host.engine.get(workflow_id)
    return stored, workflow, host.engine.executions.list_executions(stored.id, 20)


async def show(request: Request) -> Response:
    workflow_id = request.path_params["id"]

    stored, workflow, executions = await _call(request, lambda host: _found(host, workflow_id))
    text = dump_yaml(stored.document)
    return _editor(request, text=text, stored=stored, workflow=workflow, executions=executions)


async def _save(request: Request, workflow_id: str | None) -> Response:
    data = form(request)
    text = str(data.get("yaml") or "")
    version_text = str(data.get("version") or "")
    version = int(version_text) if version_text.isdigit() else None
    current: tuple[StoredWorkflow | None, Workflow | None, list[dict[str, Any]]] = (None, None, [])
    if workflow_id is not None:
        current = await _call(request, lambda host: _found(host, workflow_id))
    try:
        stored, _ = await _call(request, lambda host: host.engine.save(text, workflow_id, version=version))
    except DefinitionError as error:
        problems = _problems(error)
        message = f"The workflow was not saved: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        status = 400
    except ConflictError as error:
        problems, status = [], 409
        message = f"Someone saved this workflow after you opened it ({error.message}); reload to see theirs"
    else:
        return RedirectResponse(f"{BASE}/{quote(stored.id)}?note=Saved", status_code=303)
    # the text sent, to fix; beside it the stored version's graph and executions
    before, workflow, executions = current
    return _editor(
        request, text=text, stored=before, workflow=workflow, problems=problems, error=message,
        status=status, executions=executions,
    )  # fmt: skip


async def create(request: Request) -> Response:
    return await _save(request, None)


async def save(request: Request) -> Response:
    return await _save(request, request.path_params["id"])


async def delete(request: Request) -> Response:
    workflow_id = request.path_params["id"]
    await _call(request, lambda host: host.engine.delete(workflow_id))
    return RedirectResponse(f"{BASE}?note=Workflow+deleted", status_code=303)


async def set_active(request: Request) -> Response:
    workflow_id, active = request.path_params["id"], form(request).get("active") == "on"
    stored, _ = await _call(request, lambda host: host.engine.set_active(workflow_id, active))
    note = "Trigger+on" if active else "Trigger+off"
    back = f"{BASE}/{quote(stored.id)}" if form(request).get("back") == "workflow" else BASE
    return RedirectResponse(f"{back}?note={note}", status_code=303)


async def run_now(request: Request) -> Response:
    who = viewer(request)
    trigger = Trigger("Manual", actor=f"user {who.name}")
    try:
        record = await host(request).launch(request.path_params["id"], trigger)
    except WorkflowError as error:
        raise RequestError(error.message) from None
    return RedirectResponse(f"{EXECUTIONS}/{quote(record['id'])}", status_code=303)


def _shown(value: Any) -> str:
    """A task's input or result as YAML (multi-line strings such as DQL stay readable blocks)."""
    if value is None:
        return ""
    text = dump_yaml(orjson.loads(orjson.dumps(value, default=str)))
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + f"\n… ({len(text):,} characters in all)"


async def execution(request: Request) -> Response:
    execution_id = request.path_params["id"]

    def find(host: WorkflowHost) -> tuple[dict[str, Any], Workflow | None]:
        record = host.engine.execution(execution_id)
        try:
            return record, host.engine.get(record["workflow"])[1]
        except (NotFoundError, WorkflowError):
            return record, None  # the workflow was deleted or no longer validates

    record, workflow = await _call(request, find)
    tasks = [
        {**task, "input_text": _shown(task.get("input")), "result_text": _shown(task.get("result"))}
        for task in record.get("tasks", {}).values()
    ]
    states = {task["name"]: task["state"] for task in tasks}
    context = {
        "record": record,
        "tasks": tasks,
        "graph": layout(workflow, states) if workflow is not None else None,
        "running": record["state"] == "RUNNING",
    }
    return render(request, "workflow_execution.html", context)


async def install_page(request: Request) -> Response:
    chosen = request.query_params.get("template", "")
    choices = template_choices()
    if chosen and chosen not in templates.TEMPLATES:
        raise NotFoundError(f"no template {chosen[:100]!r}")
    context = {"templates": choices, "chosen": chosen, "error": ""}
    return render(request, "workflow_install.html", context)


async def install(request: Request) -> Response:
    data: FormData = form(request)
    name = str(data.get("template") or "")
    if name not in templates.TEMPLATES:
        raise RequestError(f"no template {name[:100]!r}", {"field": "template"})
    try:
        inputs = template_inputs(data, "input.")
        stored = await _call(request, lambda host: host.engine.install(name, inputs)[0])
    except RequestError as error:
        context = {"templates": template_choices(), "chosen": name, "error": error.message}
        return render(request, "workflow_install.html", context, status=400)
    return RedirectResponse(f"{BASE}/{quote(stored.id)}?note=Installed", status_code=303)


ROUTES: list[Route] = [
    page(BASE, list_page, scope=READ_SCOPE),
    page(BASE, create, methods=["POST"], scope=WRITE_SCOPE),
    page(f"{BASE}/new", new_page, scope=READ_SCOPE),
    page(f"{BASE}/install", install_page, scope=READ_SCOPE),
    page(f"{BASE}/install", install, methods=["POST"], scope=WRITE_SCOPE),
    page(f"{BASE}/{{id}}", show, scope=READ_SCOPE),
    page(f"{BASE}/{{id}}", save, methods=["POST"], scope=WRITE_SCOPE),
    page(f"{BASE}/{{id}}/delete", delete, methods=["POST"], scope=WRITE_SCOPE),
    page(f"{BASE}/{{id}}/active", set_active, methods=["POST"], scope=WRITE_SCOPE),
    page(f"{BASE}/{{id}}/run", run_now, methods=["POST"], scope=RUN_SCOPE),
    page(f"{EXECUTIONS}/{{id}}", execution, scope=READ_SCOPE),
]
