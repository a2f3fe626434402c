"""Execution records: what ran, with which rendered input, what it gave, how long it took, what went wrong.

States are the platform's: an execution is ``RUNNING``, ``SUCCESS``, ``ERROR`` or ``CANCELLED``; a task also
``PENDING`` (not started) or ``SKIPPED``. ``to_json`` gives the REST shape of ``/executions/{id}`` with the
tasks under ``tasks`` (the shape of ``/executions/{id}/tasks``), timestamps in ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from threatlake.workflows.expressions import jsonable

__all__ = ["ExecutionRecord", "TaskRecord"]

_MAX_LOGS = 1000


@dataclass(slots=True)
class TaskRecord:
    name: str
    action: str
    state: str = "PENDING"
    input: Any = None
    output: Any = None
    error: str = ""
    info: str = ""
    started: datetime | None = None
    ended: datetime | None = None
    duration: float = 0.0
    retries: int = 0
    logs: list[str] = field(default_factory=list)
    item_errors: list[dict[str, Any]] = field(default_factory=list)

    def log(self, line: str) -> None:
        if len(self.logs) < _MAX_LOGS:
            self.logs.append(line[:2000])

    def finish(self, state: str, at: datetime, *, error: str = "", info: str = "") -> None:
        self.state = state
        self.ended = at
        self.error = error or self.error
        self.info = info or self.info

    def to_json(self, execution: str) -> dict[str, Any]:
        return {
            "id": f"{execution}/{self.name}",
            "name": self.name,
            "execution": execution,
            "action": self.action,
            "state": self.state,
            "stateInfo": self.error or self.info or None,
            "input": jsonable(self.input),
            "result": self.output,
            "startedAt": self.started.isoformat() if self.started else None,
            "endedAt": self.ended.isoformat() if self.ended else None,
            "runtime": round(self.duration, 3),
            "retries": self.retries,
            "itemErrors": self.item_errors,
            "log": list(self.logs),
        }


@dataclass(slots=True)
class ExecutionRecord:
    id: str
    workflow: str
    title: str
    trigger_type: str
    started: datetime
    params: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] | None = None
    actor: str = ""
    state: str = "RUNNING"
    ended: datetime | None = None
    error: str = ""
    tasks: dict[str, TaskRecord] = field(default_factory=dict)

    def finish(self, at: datetime, results: dict[str, Any]) -> None:
        self.ended = at
        failed = [t for t in self.tasks.values() if t.state == "ERROR"]
        if failed:
            self.state = "ERROR"
            self.error = f"task {failed[0].name!r} failed: {failed[0].error}"
        elif any(t.state == "CANCELLED" for t in self.tasks.values()):
            self.state = "CANCELLED"
        else:
            self.state = "SUCCESS"

    def to_json(self) -> dict[str, Any]:
        runtime = (self.ended - self.started).total_seconds() if self.ended else None
        return {
            "id": self.id,
            "workflow": self.workflow,
            "title": self.title,
            "state": self.state,
            "stateInfo": self.error or None,
            "triggerType": self.trigger_type,
            "startedAt": self.started.isoformat(),
            "endedAt": self.ended.isoformat() if self.ended else None,
            "runtime": runtime,
            "params": jsonable(self.params),
            "eventContext": jsonable(self.event),
            "actor": self.actor,
            "tasks": {name: task.to_json(self.id) for name, task in self.tasks.items()},
        }
