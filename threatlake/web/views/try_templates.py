"""The integration pages' "Try our templates": the integration's ready-made dashboards and workflow templates,
installed with one click (each workflow template's inputs asked in the same form), then linked.

Installing is idempotent: a shipped dashboard keeps its stable id (``threatlake-<stem>``), and a workflow
template whose title is already a workflow is not installed again. Every chosen template is validated with
its inputs before anything is stored, so a bad input installs nothing. Needs ``automation:workflows:write``
and ``document:documents:write``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request

from threatlake.documents import SHIPPED
from threatlake.documents.library import SHIPPED_PREFIX
from threatlake.documents.library import WRITE_SCOPE as DOCUMENTS_SCOPE
from threatlake.errors import RequestError, ScopeError
from threatlake.web.api.documents import library
from threatlake.web.api.workflows import WRITE_SCOPE
from threatlake.web.views.session import Viewer
from threatlake.web.views.workflows import host, template_choices, template_inputs
from threatlake.workflows import templates
from threatlake.workflows.errors import WorkflowError

if TYPE_CHECKING:
    from threatlake.web.views.integrations import Integration

__all__ = ["SCOPE", "can_install", "install", "offer"]

SCOPE = WRITE_SCOPE
_STEMS = {name: stem for stem, name in SHIPPED.items()}


def can_install(viewer: Viewer) -> bool:
    return viewer.can(SCOPE) and viewer.can(DOCUMENTS_SCOPE)


def _installed_workflows(request: Request) -> dict[str, str]:
    """Title → id of the stored workflows."""
    return {workflow.title: stored.id for stored, workflow in host(request).engine.workflows()}


async def offer(request: Request, integration: Integration) -> dict[str, list[dict[str, Any]]]:
    """The integration's dashboards and workflow templates, each with the id it is installed under (or
    None)."""
    documents = library(request.app.state)

    def find() -> dict[str, list[dict[str, Any]]]:
        ids = {record.id for record in documents.list()}
        by_title = _installed_workflows(request)
        dashboards: list[dict[str, Any]] = []
        for name in integration.dashboards:
            document_id = SHIPPED_PREFIX + _STEMS[name]
            dashboards.append({"name": name, "installed": document_id if document_id in ids else None})
        choices = {item["name"]: item for item in template_choices()}
        workflows = [
            {**choices[name], "installed": by_title.get(choices[name]["title"])}
            for name in integration.workflows
        ]
        return {"dashboards": dashboards, "workflows": workflows}

    return await run_in_threadpool(find)


def _chosen(data: FormData, key: str, offered: tuple[str, ...]) -> list[str]:
    picked = {str(value) for value in data.getlist(key)}
    return [name for name in offered if name in picked]


async def install(request: Request, integration: Integration, data: FormData, viewer: Viewer) -> int:
    """Install what the form chose (``dashboard`` and ``workflow`` values; a workflow template's inputs in
    ``<template>.<input>``); the number of dashboards and workflows newly installed."""
    if not viewer.can(DOCUMENTS_SCOPE):
        raise ScopeError(f"installing dashboards needs the scope {DOCUMENTS_SCOPE!r}")
    dashboards = _chosen(data, "dashboard", integration.dashboards)
    chosen = _chosen(data, "workflow", integration.workflows)
    if not dashboards and not chosen:
        raise RequestError("choose at least one dashboard or workflow template to install")
    documents, engine = library(request.app.state), host(request).engine

    def run() -> int:
        by_title = _installed_workflows(request)
        pending: list[Mapping[str, Any]] = []
        for name in chosen:
            if templates.load(name).title in by_title:
                continue
            try:
                pending.append(templates.install(name, template_inputs(data, f"{name}.")))
            except WorkflowError as error:
                raise RequestError(error.message, {"field": name}) from None
        before = {record.id for record in documents.list()}
        if dashboards:
            documents.install_shipped(owner=viewer.name, now=datetime.now(UTC), names=dashboards)
        for document in pending:
            engine.save(dict(document))
        added = {record.id for record in documents.list()} - before
        return len(added) + len(pending)

    return await run_in_threadpool(run)
