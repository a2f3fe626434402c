"""Workflow definitions in the commercial product's format (schemaVersion 3 and 4), validated and located.

A document is either a template (``{metadata, workflow: {...}}``) or the bare workflow object the REST API
uses (``{title, tasks, trigger, ...}``). Both read into a frozen ``Workflow`` that keeps the original document
(``document``), so export gives back every key, including ones Threatlake does not know. Validation collects
every problem with its task, key path and, for YAML, line (``DefinitionError``). Pure.
"""

from __future__ import annotations

import contextlib
import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from threatlake.workflows.document import Located, read_document
from threatlake.workflows.errors import DefinitionError, DefinitionProblem

__all__ = [
    "STATES",
    "Conditions",
    "EventTrigger",
    "Retry",
    "Schedule",
    "Task",
    "Workflow",
    "parse_workflow",
    "workflow_object",
]

#: Condition states as written → the runner's state (``OK``/``SUCCESS`` succeed, ``NOK``/``ERROR`` failed).
STATES = {
    "OK": "SUCCESS",
    "SUCCESS": "SUCCESS",
    "NOK": "ERROR",
    "ERROR": "ERROR",
    "SKIPPED": "SKIPPED",
    "ANY": "ANY",
}
_TASK_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")
_WITH_ITEMS = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+)", re.DOTALL)
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")
_MAX_TASKS = 200


@dataclass(frozen=True, slots=True)
class Conditions:
    states: dict[str, str] = field(default_factory=dict)  # predecessor → SUCCESS | ERROR | SKIPPED | ANY
    custom: str = ""
    otherwise: str = "SKIP"  # the document's ``else``: SKIP | STOP


@dataclass(frozen=True, slots=True)
class Retry:
    count: int = 0
    delay: float = 0.0
    failed_loop_iterations_only: bool = True


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    action: str
    input: dict[str, Any]
    predecessors: tuple[str, ...] = ()
    conditions: Conditions = field(default_factory=Conditions)
    item_name: str = ""  # ``withItems: <item_name> in <items>``
    items: str = ""
    concurrency: int = 1
    retry: Retry = field(default_factory=Retry)
    timeout: float = 900.0
    active: bool = True


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: str  # cron | interval | time
    cron: str = ""
    interval_minutes: int = 0
    time: str = ""
    timezone: str = "UTC"
    active: bool = True


@dataclass(frozen=True, slots=True)
class EventTrigger:
    event_type: str
    query: str
    unique_expression: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class Workflow:
    title: str
    description: str
    tasks: dict[str, Task]
    schedule: Schedule | None
    event_trigger: EventTrigger | None
    document: dict[str, Any]  # as given (template or bare), every unknown key kept
    warnings: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)  # the workflow-level ``input`` (defaults)


def workflow_object(document: dict[str, Any]) -> dict[str, Any]:
    """The workflow object inside a template document (or the document itself when it is bare)."""
    inner = document.get("workflow")
    return inner if isinstance(inner, dict) and "tasks" in inner else document


class _Checker:
    def __init__(self, located: Located, prefix: tuple[str, ...]) -> None:
        self.located = located
        self.prefix = prefix
        self.problems: list[DefinitionProblem] = []

    def add(self, path: tuple[str | int, ...], message: str, task: str = "") -> None:
        line = self.located.line(*self.prefix, *path)
        self.problems.append(DefinitionProblem(".".join(map(str, path)), message, task, line))


def parse_workflow(
    source: str | bytes | dict[str, Any], *, known_actions: frozenset[str] = frozenset()
) -> Workflow:
    """Read and validate a workflow; actions not in ``known_actions`` (normalised ids) give warnings."""
    located = Located(copy.deepcopy(source), {}) if isinstance(source, dict) else read_document(source)
    if not isinstance(located.value, dict):
        raise DefinitionError([DefinitionProblem("", "a workflow document is a mapping")])
    document: dict[str, Any] = located.value
    body = workflow_object(document)
    prefix: tuple[str, ...] = ("workflow",) if body is not document else ()
    check = _Checker(located, prefix)
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        check.add(("title",), "a workflow needs a non-empty title")
    description = body.get("description") or ""
    if not isinstance(description, str):
        check.add(("description",), "must be a string")
        description = ""
    version = body.get("schemaVersion", 3)
    if version not in (3, 4):
        check.add(("schemaVersion",), f"schemaVersion {version!r} is not supported (3 or 4)")
    tasks = _tasks(body.get("tasks"), check)
    schedule, event = _trigger(body.get("trigger"), check)
    if check.problems:
        raise DefinitionError(check.problems)
    warnings = tuple(
        f"task {t.name!r}: action {t.action!r} is not available here; the task fails when it runs"
        for t in tasks.values()
        if known_actions and normalise_action(t.action) not in known_actions
    )
    inputs = body.get("input") or {}
    if not isinstance(inputs, dict):
        raise DefinitionError(
            [DefinitionProblem("input", "must be a mapping", line=located.line(*prefix, "input"))]
        )
    return Workflow(str(title).strip(), description, tasks, schedule, event, document, warnings, dict(inputs))


def normalise_action(action: str) -> str:
    """An action id without the optional ``dynatrace.`` prefix (both spellings name the same action)."""
    return action.removeprefix("dynatrace.")


def _tasks(raw: Any, check: _Checker) -> dict[str, Task]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        check.add(("tasks",), "must be a mapping of task name to task")
        return {}
    if len(raw) > _MAX_TASKS:
        check.add(("tasks",), f"at most {_MAX_TASKS} tasks")
        return {}
    tasks: dict[str, Task] = {}
    for name, spec in raw.items():
        path: tuple[str | int, ...] = ("tasks", name)
        if not _TASK_NAME.fullmatch(name):
            check.add(path, "a task name is letters, digits, '_' and '-'", name)
            continue
        if not isinstance(spec, dict):
            check.add(path, "a task is a mapping", name)
            continue
        task = _task(name, spec, path, check)
        if task is not None:
            tasks[name] = task
    for task in tasks.values():
        for predecessor in task.predecessors:
            if predecessor not in raw:
                check.add(("tasks", task.name, "predecessors"), f"unknown task {predecessor!r}", task.name)
        for state_of in task.conditions.states:
            if state_of not in task.predecessors:
                check.add(
                    ("tasks", task.name, "conditions", "states", state_of), "is not a predecessor", task.name
                )
    cycle = _cycle(tasks)
    if cycle:
        check.add(
            ("tasks", cycle[0], "predecessors"), "tasks depend on each other: " + " → ".join(cycle), cycle[0]
        )
    return tasks


def _task(name: str, spec: dict[str, Any], path: tuple[str | int, ...], check: _Checker) -> Task | None:
    count = len(check.problems)

    def bad(key: str, message: str) -> None:
        check.add((*path, key), message, name)

    action = spec.get("action")
    if not isinstance(action, str) or not action:
        bad("action", "a task needs an action id")
    inputs = spec.get("input") or {}
    if not isinstance(inputs, dict):
        bad("input", "must be a mapping")
    predecessors = spec.get("predecessors") or []
    if not isinstance(predecessors, list) or not all(isinstance(p, str) for p in predecessors):
        bad("predecessors", "must be a list of task names")
        predecessors = []
    conditions = _conditions(spec.get("conditions"), bad)
    item_name, items = "", ""
    with_items = spec.get("withItems")
    if with_items not in (None, ""):
        match = _WITH_ITEMS.fullmatch(with_items) if isinstance(with_items, str) else None
        if match is None:
            bad("withItems", "must be '<name> in <expression>'")
        else:
            item_name, items = match.group(1), match.group(2).strip()
    concurrency = _number(spec.get("concurrency"), 1, 1, 100, key="concurrency", bad=bad)
    retry = _retry(spec.get("retry"), bad)
    timeout = _number(spec.get("timeout"), 900, 1, 86_400, key="timeout", bad=bad)
    active = spec.get("active", True)
    if not isinstance(active, bool):
        bad("active", "must be true or false")
    if len(check.problems) > count:
        return None
    return Task(
        name, str(action), dict(inputs), tuple(predecessors), conditions, item_name, items,
        int(concurrency), retry, float(timeout), bool(active),
    )  # fmt: skip


def _number(value: Any, default: float, low: float, high: float, *, key: str, bad: Any) -> float:
    if value in (None, ""):
        return default
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        bad(key, f"must be a number from {low:g} to {high:g}")
        return default
    return float(value)


def _conditions(raw: Any, bad: Any) -> Conditions:
    if raw is None:
        return Conditions()
    if not isinstance(raw, dict):
        bad("conditions", "must be a mapping (states, custom, else)")
        return Conditions()
    states: dict[str, str] = {}
    for predecessor, state in (raw.get("states") or {}).items():
        normal = STATES.get(str(state).upper())
        if normal is None:
            bad("conditions", f"state {state!r} of {predecessor!r} is not one of {', '.join(STATES)}")
        else:
            states[predecessor] = normal
    custom = raw.get("custom") or ""
    if not isinstance(custom, str):
        bad("conditions", "custom must be a template string")
        custom = ""
    otherwise = str(raw.get("else") or "SKIP").upper()
    if otherwise not in ("SKIP", "STOP"):
        bad("conditions", "else must be SKIP or STOP")
    return Conditions(states, custom, otherwise)


def _retry(raw: Any, bad: Any) -> Retry:
    if raw is None:
        return Retry()
    if not isinstance(raw, dict):
        bad("retry", "must be a mapping (count, delay, failedLoopIterationsOnly)")
        return Retry()
    count = _number(raw.get("count"), 0, 0, 20, key="retry", bad=bad)
    delay = _number(raw.get("delay"), 0, 0, 3600, key="retry", bad=bad)
    only = raw.get("failedLoopIterationsOnly", True)
    return Retry(int(count), float(delay), bool(only))


def _cycle(tasks: dict[str, Task]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        stack.append(name)
        for predecessor in tasks[name].predecessors:
            if predecessor not in tasks:
                continue
            if state.get(predecessor) == 1:
                return [*stack[stack.index(predecessor) :], predecessor]
            if predecessor not in state and (found := visit(predecessor)):
                return found
        stack.pop()
        state[name] = 2
        return []

    for name in tasks:
        if name not in state and (found := visit(name)):
            return found
    return []


def _trigger(raw: Any, check: _Checker) -> tuple[Schedule | None, EventTrigger | None]:
    if not raw:
        return None, None
    if not isinstance(raw, dict):
        check.add(("trigger",), "must be a mapping (schedule or eventTrigger)")
        return None, None
    schedule = _schedule(raw["schedule"], check) if raw.get("schedule") else None
    event = _event(raw["eventTrigger"], check) if raw.get("eventTrigger") else None
    return schedule, event


def _schedule(raw: Any, check: _Checker) -> Schedule | None:
    path = ("trigger", "schedule")
    if not isinstance(raw, dict) or not isinstance(raw.get("trigger"), dict):
        check.add(path, "a schedule has a trigger mapping ({type: cron|interval|time, ...})")
        return None
    spec = raw["trigger"]
    kind = str(spec.get("type", "")).lower()
    zone = str(raw.get("timezone") or "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        check.add((*path, "timezone"), f"unknown time zone {zone!r}")
    active = raw.get("isActive", True) is not False
    if kind == "cron":
        cron = str(spec.get("cron", ""))
        try:
            CronSim(cron, _EPOCH)
        except (CronSimError, ValueError) as error:
            check.add((*path, "trigger", "cron"), f"not a cron expression: {error}")
        return Schedule("cron", cron=cron, timezone=zone, active=active)
    if kind == "interval":
        minutes = spec.get("intervalMinutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 10_080:
            check.add((*path, "trigger", "intervalMinutes"), "must be whole minutes from 1 to 10080")
            return None
        return Schedule("interval", interval_minutes=minutes, timezone=zone, active=active)
    if kind == "time":
        time = str(spec.get("time", ""))
        if not _TIME.fullmatch(time):
            check.add((*path, "trigger", "time"), f"must be HH:MM, got {time!r}")
        return Schedule("time", time=time, timezone=zone, active=active)
    check.add((*path, "trigger", "type"), f"schedule type {kind!r} is not cron, interval or time")
    return None


def _event(raw: Any, check: _Checker) -> EventTrigger | None:
    path = ("trigger", "eventTrigger")
    config = raw.get("triggerConfiguration") if isinstance(raw, dict) else None
    if not isinstance(config, dict):
        check.add(path, "an event trigger has a triggerConfiguration mapping")
        return None
    value = config.get("value") or {}
    query = value.get("query") or raw.get("filterQuery") or ""
    event_type = str(value.get("eventType") or "security.events")
    if not isinstance(query, str):
        check.add((*path, "triggerConfiguration", "value", "query"), "must be a DQL condition")
        return None
    unique = value.get("uniqueExpression") or raw.get("uniqueExpression") or ""
    return EventTrigger(event_type, query, str(unique), raw.get("isActive", True) is not False)


_EPOCH = datetime(2024, 1, 1)
