"""The engine on Threatlake's own parts: the event store, the state repositories, the settings.

``engine_for(state, store, config)`` wires a ``WorkflowEngine`` the way the service and every command use it:
DQL through ``threatlake.service.query`` on ``store``, credentials from ``state.credentials`` (decrypted only
when an action runs), triage through ``threatlake.service.triage`` (the state and the store's mirror),
definitions/executions/marks in ``state.workflows``.

``WorkflowHost`` is what ``threatlake serve`` runs: the engine for the REST API, runs started in the
background (``launch``), and the scheduler under the lease, started and stopped by the app's lifespan.

``EventTriggers`` is the new-event hook (``threatlake.service.ingest.NEW_EVENT_HOOKS``): every ingest path
(HTTP, ``threatlake ingest``, ``backfill``) hands it exactly the newly stored events. It never runs workflows
on the writer's thread: batches go to a bounded queue that one worker thread drains, and ``close`` waits
(bounded) for what was queued, so a command's triggered workflows finish before it exits. Each event runs each
matching workflow at most once (the engine claims it in the marks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from threatlake.config import Config
from threatlake.model import Event
from threatlake.service.ingest import NEW_EVENT_HOOKS
from threatlake.service.query import QueryRequest, run_query
from threatlake.service.triage import set_triage
from threatlake.state import State
from threatlake.state.leases import LeaseRepository
from threatlake.store import Store
from threatlake.workflows.actions.base import Services
from threatlake.workflows.credentials import StateCredentials
from threatlake.workflows.engine import WorkflowEngine
from threatlake.workflows.ports import QueryFunction, TriageFunction
from threatlake.workflows.runner import Trigger
from threatlake.workflows.scheduler import Scheduler

__all__ = ["EventTriggers", "WorkflowHost", "engine_for", "event_hook"]

log = logging.getLogger("threatlake.workflows")

#: Batches of new events waiting for the trigger worker; beyond this a batch is logged and skipped.
MAX_PENDING_BATCHES = 1000
#: How often the scheduler in a service looks for due workflows (and renews its lease).
TICK_SECONDS = 15.0
#: How long ``EventTriggers.close`` waits for queued batches.
CLOSE_SECONDS = 120.0


def _query(store: Store, config: Config) -> QueryFunction:
    def run(query: str, *, max_records: int) -> dict[str, Any]:
        request = QueryRequest(query, datetime.now(UTC), max_records=max_records)
        return dict(run_query(store, request, timeout=config.query_timeout_seconds))

    return run


def _triage(state: State, store: Store | None) -> TriageFunction:
    def run(
        finding_ids: list[str], *, status: str | None, assignee: str | None, comment: str | None, actor: str
    ) -> int:
        changed = set_triage(
            state, store, finding_ids, who=actor, now=datetime.now(UTC), status=status, assignee=assignee,
            comment=comment or "",
        )  # fmt: skip
        return len(changed)

    return run


def engine_for(state: State, store: Store | None, config: Config | None = None) -> WorkflowEngine:
    """The engine on ``state`` (and ``store`` for queries and event triggers; None: definitions only)."""
    settings = config or Config()
    services = Services(
        query=_query(store, settings) if store is not None else None,
        credentials=StateCredentials(state.credentials),
        triage=_triage(state, store),
        environment_url=settings.public_url or f"http://{settings.host}:{settings.port}",
        max_records=max(settings.max_result_records, 10_000),
    )
    workflows = state.workflows
    return WorkflowEngine(workflows, workflows, workflows, services)


class _StateLease:
    """The engine's ``Lease`` port (a time to live in seconds) over the state's leases."""

    def __init__(self, leases: LeaseRepository) -> None:
        self.leases = leases

    def acquire(self, name: str, holder: str, ttl: float, now: datetime) -> bool:
        return self.leases.acquire(name, holder, timedelta(seconds=ttl), now)

    def release(self, name: str, holder: str) -> object:
        return self.leases.release(name, holder)


class WorkflowHost:
    """The engine inside the service, its background runs and its scheduler (one per app)."""

    def __init__(self, engine: WorkflowEngine, scheduler: Scheduler) -> None:
        self.engine = engine
        self.scheduler = scheduler
        self._runs: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    @classmethod
    def for_service(
        cls, state: State, store: Store, config: Config, *, interval: float = TICK_SECONDS
    ) -> WorkflowHost:
        engine = engine_for(state, store, config)
        return cls(engine, Scheduler(engine, _StateLease(state.leases), interval=interval))

    async def launch(self, reference: str, trigger: Trigger) -> dict[str, Any]:
        """Start a run in the background; its record as saved when it started (state ``RUNNING``)."""
        workflow_id = (await asyncio.to_thread(self.engine.get, reference))[0].id
        execution_id = str(uuid.uuid4())
        task = asyncio.ensure_future(self.engine.run(workflow_id, trigger, execution_id))
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)
        for _ in range(100):  # the record is saved before the runner's first await
            found = self.engine.executions.get_execution(execution_id)
            if found is not None or task.done():
                break
            await asyncio.sleep(0)
        if task.done() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # a workflow that could not start at all
        return self.engine.execution(execution_id)

    def start(self) -> None:
        self._stop.clear()
        self._loop = asyncio.ensure_future(self.scheduler.run_forever(self._stop))

    async def stop(self) -> None:
        """Stop the scheduler (releasing the lease) and cancel the runs still going."""
        self._stop.set()
        if self._loop is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for task in [*self._runs, *self.scheduler.running]:
            task.cancel()
        for task in [*self._runs, *self.scheduler.running]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class EventTriggers:
    """The new-event hook: queues batches; one worker thread runs the matching event-triggered workflows."""

    def __init__(self, engine: Callable[[], WorkflowEngine]) -> None:
        self._make = engine
        self._engine: WorkflowEngine | None = None
        self._queue: queue.Queue[list[Event] | None] = queue.Queue(MAX_PENDING_BATCHES)
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self.fired = 0  # executions started (for the tests and metrics)

    def __call__(self, events: list[Event]) -> None:
        if not events:
            return
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._drain, name="workflow-events", daemon=True)
                self._worker.start()
        try:
            self._queue.put_nowait([dict(event) for event in events])
        except queue.Full:
            log.error("event triggers are behind; a batch of %d new events was not checked", len(events))

    def _drain(self) -> None:
        while (batch := self._queue.get()) is not None:
            try:
                if self._engine is None:
                    self._engine = self._make()
                self.fired += len(asyncio.run(self._engine.on_new_events(batch)))
            except Exception:
                log.exception("event-triggered workflows failed for a batch of new events")
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Run what was queued (waiting at most ``timeout``), then stop the worker."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is None:
            return
        self._queue.put(None)
        worker.join(timeout)


def event_hook(state: State, store: Store) -> EventTriggers:
    """The maker registered in ``NEW_EVENT_HOOKS`` (the engine is built on the first new events)."""
    return EventTriggers(lambda: engine_for(state, store))


if event_hook not in NEW_EVENT_HOOKS:  # importing the hosting registers the event triggers, once
    NEW_EVENT_HOOKS.append(event_hook)
