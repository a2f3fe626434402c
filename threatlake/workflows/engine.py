"""The workflow operations every adapter (REST, CLI, scheduler, event hook) shares: one path per operation.

``WorkflowEngine`` composes the definitions/executions/marks state, the runner and the action services:
create, update, delete, list and get workflows (validated, versioned, unknown keys kept); import with
credential references rewritten (``--map OLD=NEW``) and unresolved ones listed; install a shipped template;
run one now; fire event triggers for newly stored events (at most once per event and workflow, honouring
``uniqueExpression``); read executions.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from threatlake.errors import NotFoundError
from threatlake.workflows import templates
from threatlake.workflows.actions import ACTIONS
from threatlake.workflows.actions.base import Services
from threatlake.workflows.definition import Workflow, parse_workflow, workflow_object
from threatlake.workflows.errors import ActionError, WorkflowError
from threatlake.workflows.events import matching_events
from threatlake.workflows.expressions import Scope, render
from threatlake.workflows.ports import EVENT, Definitions, Executions, Marks, StoredWorkflow
from threatlake.workflows.runner import Runner, Trigger

__all__ = ["CONNECTION_KEYS", "Imported", "WorkflowEngine"]

#: The input keys that name a credential, as the commercial product's actions spell them.
CONNECTION_KEYS = ("connectionId", "connection")
_CONNECTION_TYPES = {
    "jira": "jira",
    "slack": "slack",
    "msteams": "msteams",
    "email": "smtp",
    "automations": "http",
}


@dataclass(frozen=True, slots=True)
class Imported:
    stored: StoredWorkflow
    workflow: Workflow
    unresolved: tuple[str, ...]  # credential references that name no credential (the default is used)


class WorkflowEngine:
    def __init__(
        self,
        definitions: Definitions,
        executions: Executions,
        marks: Marks,
        services: Services,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.definitions = definitions
        self.executions = executions
        self.marks = marks
        self.services = services
        self.clock = clock
        services.marks = marks
        services.now = clock
        services.run_workflow = self._run_child
        self.runner = Runner(services, executions.save_execution, clock=clock)
        self.known = frozenset(ACTIONS)

    # definitions ------------------------------------------------------------------------------------------
    def parse(self, source: str | bytes | dict[str, Any]) -> Workflow:
        return parse_workflow(source, known_actions=self.known)

    def workflows(self) -> list[tuple[StoredWorkflow, Workflow]]:
        return [(stored, self.parse(stored.document)) for stored in self.definitions.list_workflows()]

    def get(self, reference: str) -> tuple[StoredWorkflow, Workflow]:
        """A workflow by id, or by exact title when no id matches."""
        stored = self.definitions.get_workflow(reference)
        if stored is None:
            matches = [s for s in self.definitions.list_workflows() if _title(s.document) == reference]
            if len(matches) > 1:
                raise WorkflowError(f"{len(matches)} workflows are titled {reference!r}; use the id")
            stored = matches[0] if matches else None
        if stored is None:
            raise NotFoundError(f"no workflow {reference!r}")
        return stored, self.parse(stored.document)

    def save(
        self,
        source: str | bytes | dict[str, Any],
        workflow_id: str | None = None,
        *,
        version: int | None = None,
    ) -> tuple[StoredWorkflow, Workflow]:
        workflow = self.parse(source)
        if workflow_id is not None and version is None and self.definitions.get_workflow(workflow_id) is None:
            raise NotFoundError(f"no workflow {workflow_id!r}")
        stored = self.definitions.put_workflow(
            workflow_id or str(uuid.uuid4()), workflow.document, self.clock(), expected_version=version
        )
        return stored, workflow

    def delete(self, workflow_id: str) -> None:
        if not self.definitions.delete_workflow(workflow_id):
            raise NotFoundError(f"no workflow {workflow_id!r}")

    def import_document(self, source: str | bytes, mapping: Mapping[str, str] | None = None) -> Imported:
        """Store a workflow exported elsewhere, its credential references rewritten by ``mapping``."""
        workflow = self.parse(source)
        document = workflow.document
        unresolved = []
        for task in workflow_object(document).get("tasks", {}).values():
            inputs = task.get("input") or {}
            for key in CONNECTION_KEYS:
                reference = inputs.get(key)
                if not isinstance(reference, str) or not reference or "{{" in reference:
                    continue
                if mapping and reference in mapping:
                    inputs[key] = reference = mapping[reference]
                kind = _CONNECTION_TYPES.get(
                    str(task.get("action", "")).removeprefix("dynatrace.").split(":")[0]
                )
                if kind is None:
                    continue
                store = self.services.credentials
                found = store.resolve(reference, kind) if store else None
                if found is None or reference not in (found.id, found.name):
                    unresolved.append(reference)
        stored, workflow = self.save(document)
        return Imported(stored, workflow, tuple(dict.fromkeys(unresolved)))

    def install(self, name: str, inputs: dict[str, str] | None = None) -> tuple[StoredWorkflow, Workflow]:
        return self.save(templates.install(name, inputs))

    def set_active(self, reference: str, active: bool) -> tuple[StoredWorkflow, Workflow]:
        """Turn a workflow's trigger (schedule or event trigger) on or off; WorkflowError for a workflow
        that has neither (it runs only when asked)."""
        stored, _ = self.get(reference)
        document = copy.deepcopy(stored.document)
        trigger = workflow_object(document).get("trigger") or {}
        kinds = [kind for kind in ("schedule", "eventTrigger") if isinstance(trigger.get(kind), dict)]
        if not kinds:
            raise WorkflowError(f"workflow {reference!r} has no trigger to turn on or off (runs when asked)")
        for kind in kinds:
            trigger[kind]["isActive"] = active
        return self.save(document, stored.id, version=stored.version)

    # running ----------------------------------------------------------------------------------------------
    async def run(
        self, reference: str, trigger: Trigger | None = None, execution_id: str = ""
    ) -> dict[str, Any]:
        """Run a workflow now and wait for the execution to end; returns its record. The record (state
        ``RUNNING``) is saved before the first task starts, under ``execution_id`` when one is given."""
        stored, workflow = self.get(reference)
        trigger = trigger or Trigger()
        if trigger.previous is None:
            trigger = Trigger(
                trigger.type, trigger.event, trigger.params, trigger.actor, self._previous(stored.id)
            )
        record = await self.runner.run(workflow, stored.id, trigger, execution_id)
        return record.to_json()

    def run_sync(self, reference: str, trigger: Trigger | None = None) -> dict[str, Any]:
        return asyncio.run(self.run(reference, trigger))

    async def _run_child(self, reference: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self.run(reference, Trigger("Workflow", params=params))

    def _previous(self, workflow_id: str) -> datetime | None:
        for record in self.executions.list_executions(workflow_id, limit=50):
            if record["state"] == "SUCCESS":
                return datetime.fromisoformat(record["startedAt"])
        return None

    async def on_new_events(self, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Run each active event-triggered workflow once per newly stored event it matches."""
        batch = list(events)
        executions = []
        for stored, workflow in self.workflows():
            trigger = workflow.event_trigger
            if trigger is None or not trigger.active or not batch:
                continue
            if self.services.query is None:
                raise WorkflowError("event triggers need a store to query")
            found = await asyncio.to_thread(matching_events, self.services.query, trigger.query, batch)
            for event in found:
                key = self._unique_key(workflow, event)
                if not self.marks.claim(stored.id, EVENT, key, self.clock()):
                    continue
                record = await self.runner.run(workflow, stored.id, Trigger("Event", dict(event)))
                executions.append(record.to_json())
        return executions

    def _unique_key(self, workflow: Workflow, event: Mapping[str, Any]) -> str:
        trigger = workflow.event_trigger
        if trigger is not None and trigger.unique_expression:
            scope = Scope(results={}, execution={}, event=event, now=self.clock)
            try:
                return str(render(trigger.unique_expression, scope.variables()))
            except ActionError:
                pass  # fall back to the event's identity
        return str(event.get("event.id") or event.get("finding.id") or id(event))

    # executions -------------------------------------------------------------------------------------------
    def executions_of(self, reference: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        workflow_id = self.get(reference)[0].id if reference else None
        return self.executions.list_executions(workflow_id, limit)

    def execution(self, execution_id: str) -> dict[str, Any]:
        record = self.executions.get_execution(execution_id)
        if record is None:
            raise NotFoundError(f"no execution {execution_id!r}")
        return record

    def prune(self, keep: timedelta) -> int:
        return self.executions.prune_executions(self.clock() - keep)


def _title(document: dict[str, Any]) -> str:
    return str(workflow_object(document).get("title", ""))
