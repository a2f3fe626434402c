"""The runner: one execution of a workflow, its tasks as a DAG, recorded as it goes.

A task starts when all its predecessors ended and its conditions hold (each predecessor's state as
``conditions.states`` asks, ``SUCCESS`` when unsaid; then ``custom``); otherwise it is ``SKIPPED`` (``else:
SKIP``) or the execution stops starting tasks (``else: STOP``: the rest are ``CANCELLED``). Independent tasks
run in parallel. ``withItems`` runs the action once per item, at most ``concurrency`` at a time; the result is
the list of item results (null for an item that failed). A transient ``ActionError`` is retried
``retry.count`` times with exponential backoff from ``retry.delay``; a terminal one fails at once. ``timeout``
bounds the whole task. The record (``execution.py``) is saved when the execution starts, after each task, and
at the end.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from threatlake.workflows.actions import lookup
from threatlake.workflows.actions.base import ActionContext, Services
from threatlake.workflows.definition import Task, Workflow
from threatlake.workflows.errors import ActionError
from threatlake.workflows.execution import ExecutionRecord, TaskRecord
from threatlake.workflows.expressions import Scope, is_true, jsonable, render, render_value

__all__ = ["MAX_ITEMS", "Runner", "Trigger"]

MAX_ITEMS = 1000
_MAX_BACKOFF = 300.0
_DURATION = re.compile(r"\s*(\d+)\s*(s|m|h|d)\s*")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_OVERLAP = 60  # seconds a run looks back before the previous one started: a late write is not missed


def _since(previous: datetime | None, default: str, started: datetime) -> str:
    """``since_last_run(default)``: a DQL duration reaching back to the previous successful run (with a
    minute of overlap), or ``default`` (``24h``) on a first run. Written as ``from:now()-{{ ... }}``."""
    if previous is None:
        match = _DURATION.fullmatch(str(default))
        if match is None:
            raise ActionError(f"since_last_run: {default!r} is not a duration like 24h")
        return f"{int(match.group(1)) * _SECONDS[match.group(2)]}s"
    return f"{max(int((started - previous).total_seconds()), 0) + _OVERLAP}s"


@dataclass(frozen=True, slots=True)
class Trigger:
    """Why an execution runs: ``Manual``, ``Schedule``, ``Event`` or ``Workflow``, with the event if any."""

    type: str = "Manual"
    event: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    actor: str = ""
    previous: datetime | None = None  # when the previous successful execution started (``since_last_run``)


class Runner:
    """Runs executions with the given services; ``save`` persists a record (``Executions.save_execution``)."""

    def __init__(
        self,
        services: Services,
        save: Callable[[dict[str, Any]], None] = lambda record: None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.services = services
        self.save = save
        self.clock = clock

    async def run(
        self, workflow: Workflow, workflow_id: str, trigger: Trigger, execution_id: str = ""
    ) -> ExecutionRecord:
        record = ExecutionRecord(
            id=execution_id or str(uuid.uuid4()),
            workflow=workflow_id,
            title=workflow.title,
            trigger_type=trigger.type,
            started=self.clock(),
            params=dict(trigger.params),
            event=trigger.event,
            actor=trigger.actor,
        )
        for name, task in workflow.tasks.items():
            record.tasks[name] = TaskRecord(name=name, action=task.action)
        self._save(record)
        results: dict[str, Any] = {}
        scope = Scope(
            results=results,
            execution={
                "id": record.id,
                "started_at": record.started,
                "trigger": trigger.type,
                "workflow": {"id": workflow_id, "title": workflow.title},
                "params": trigger.params,
            },
            event=trigger.event,
            inputs={**workflow.inputs, **trigger.params},
            environment={"url": self.services.environment_url},
            now=self.clock,
            functions={
                "since_last_run": lambda default="24h": _since(trigger.previous, default, record.started)
            },
        )
        pending = dict(workflow.tasks)
        running: dict[asyncio.Task[None], str] = {}
        stopped = False
        while pending or running:
            for name, task in list(pending.items()):
                states = [record.tasks[p].state for p in task.predecessors]
                if any(state in ("PENDING", "RUNNING") for state in states):
                    continue
                del pending[name]
                if stopped:
                    record.tasks[name].finish("CANCELLED", self.clock(), info="the execution was stopped")
                    continue
                verdict = self._verdict(task, record, scope)
                if verdict == "RUN":
                    record.tasks[name].state = "RUNNING"
                    record.tasks[name].started = self.clock()
                    running[asyncio.ensure_future(self._task(task, record, scope, results))] = name
                elif verdict == "STOP":
                    record.tasks[name].finish(
                        "CANCELLED", self.clock(), info="conditions not met (else: STOP)"
                    )
                    stopped = True
                else:
                    record.tasks[name].finish("SKIPPED", self.clock(), info=verdict)
            if not running:
                if pending and not stopped:  # cannot happen for a validated DAG; guards a hand-made Workflow
                    for name in pending:
                        record.tasks[name].finish(
                            "CANCELLED", self.clock(), info="predecessors never finished"
                        )
                    pending.clear()
                continue
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for finished in done:
                running.pop(finished)
                finished.result()
            self._save(record)
        record.finish(self.clock(), results)
        self._save(record)
        return record

    def _save(self, record: ExecutionRecord) -> None:
        self.save(record.to_json())

    def _verdict(self, task: Task, record: ExecutionRecord, scope: Scope) -> str:
        """``RUN``, ``STOP`` or why the task is skipped."""
        if not task.active:
            return "the task is not active"
        wanted = task.conditions.states
        for predecessor in task.predecessors:
            state = record.tasks[predecessor].state
            need = wanted.get(predecessor, "SUCCESS")
            if need not in ("ANY", state):
                return (
                    "STOP" if task.conditions.otherwise == "STOP" else f"{predecessor} is {state}, not {need}"
                )
        if task.conditions.custom:
            try:
                holds = is_true(render(task.conditions.custom, scope.variables(task.name)))
            except ActionError as error:
                record.tasks[task.name].log(f"condition failed: {error}")
                holds = False
            if not holds:
                return "STOP" if task.conditions.otherwise == "STOP" else "custom condition is false"
        return "RUN"

    async def _task(self, task: Task, record: ExecutionRecord, scope: Scope, results: dict[str, Any]) -> None:
        entry = record.tasks[task.name]
        begun = time.monotonic()
        try:
            output = await asyncio.wait_for(self._attempts(task, entry, scope, results), task.timeout)
        except TimeoutError:
            entry.finish("ERROR", self.clock(), error=f"timed out after {task.timeout:g} s")
        except ActionError as error:
            entry.finish("ERROR", self.clock(), error=error.message)
        except Exception as error:  # an action's own bug must not hang the execution; keep it visible
            entry.finish("ERROR", self.clock(), error=f"internal error: {type(error).__name__}: {error}")
        else:
            entry.output = jsonable(output)
            results[task.name] = output
            entry.finish("ERROR" if entry.error else "SUCCESS", self.clock())
        entry.duration = time.monotonic() - begun

    async def _attempts(self, task: Task, entry: TaskRecord, scope: Scope, results: dict[str, Any]) -> Any:
        action = lookup(task.action)
        if action is None:
            raise ActionError(f"action {task.action!r} is not available here")
        if not task.items:
            return await self._retrying(task, entry, scope, results, None)
        items = render(task.items, scope.variables(task.name))
        if isinstance(items, dict):
            items = list(items.items())
        if not isinstance(items, list):
            raise ActionError(f"withItems: {task.items!r} gave {type(items).__name__}, not a list")
        if len(items) > MAX_ITEMS:
            raise ActionError(f"withItems: {len(items)} items, at most {MAX_ITEMS}")
        gate = asyncio.Semaphore(task.concurrency)
        entry.input = []

        async def one(index: int, item: Any) -> Any:
            async with gate:
                try:
                    return await self._retrying(task, entry, scope, results, (index, item))
                except ActionError as error:
                    entry.log(f"item {index}: {error.message}")
                    entry.item_errors.append({"index": index, "error": error.message})
                    return None

        outputs = await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
        if entry.item_errors:
            entry.error = (
                f"{len(entry.item_errors)} of {len(items)} items failed: {entry.item_errors[0]['error']}"
            )
        return outputs

    async def _retrying(
        self,
        task: Task,
        entry: TaskRecord,
        scope: Scope,
        results: dict[str, Any],
        item: tuple[int, Any] | None,
    ) -> Any:
        action = lookup(task.action)
        assert action is not None
        variables = scope.variables(task.name, (task.item_name, item[1]) if item else None)
        inputs = render_value(task.input, variables)
        if not isinstance(inputs, dict):
            raise ActionError("input must render to a mapping")
        if item is None:
            entry.input = jsonable(inputs)
        elif isinstance(entry.input, list) and len(entry.input) < 100:
            entry.input.append(jsonable(inputs))
        action.check(inputs)
        attempt = 0
        while True:
            context = ActionContext(
                self.services, str(scope.execution["id"]), str(scope.execution["workflow"]["id"]),
                task.name, results, item[1] if item else None, entry.logs,
            )  # fmt: skip
            try:
                return await action.run(inputs, context)
            except ActionError as error:
                if not error.retryable or attempt >= task.retry.count:
                    if attempt:
                        raise ActionError(f"{error.message} (after {attempt + 1} attempts)") from None
                    raise
                delay = min(task.retry.delay * 2**attempt, _MAX_BACKOFF)
                attempt += 1
                entry.retries += 1
                entry.log(f"attempt {attempt} failed ({error.message}); retrying in {delay:g} s")
                await (self.services.sleep or asyncio.sleep)(delay)
