"""The scheduler: runs due scheduled workflows, in exactly one process at a time (a lease in the shared
state).

Each ``tick`` first takes or renews the lease ``workflows.scheduler``; a process without it does nothing. For
each workflow with an active schedule it asks ``schedule.latest_due`` for the latest slot since the last one
run (or since the workflow was saved) and claims that slot in the marks before running, so even two holders in
a race run a slot once, and a process that was down runs a missed schedule once on start. Executions run as
background tasks; old execution records are pruned once an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from threatlake.workflows.engine import WorkflowEngine
from threatlake.workflows.ports import SCHEDULED, Lease
from threatlake.workflows.runner import Trigger
from threatlake.workflows.schedule import latest_due

__all__ = ["LEASE", "Scheduler"]

LEASE = "workflows.scheduler"


class Scheduler:
    def __init__(
        self,
        engine: WorkflowEngine,
        lease: Lease,
        *,
        holder: str = "",
        interval: float = 15.0,
        keep: timedelta = timedelta(days=30),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.lease = lease
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.interval = interval
        self.keep = keep
        self.clock = clock
        self.running: set[asyncio.Task[Any]] = set()
        self._pruned: datetime | None = None

    def leader(self) -> bool:
        return self.lease.acquire(LEASE, self.holder, self.interval * 4, self.clock())

    async def tick(self) -> list[str]:
        """Start the due workflows (if this process holds the lease); their ids."""
        if not await asyncio.to_thread(self.leader):
            return []
        now = self.clock()
        started = []
        for stored, workflow in await asyncio.to_thread(self.engine.workflows):
            schedule = workflow.schedule
            if schedule is None or not schedule.active:
                continue
            since = self.engine.marks.last(stored.id, SCHEDULED) or stored.created
            slot = latest_due(schedule, since, now)
            if slot is None or not self.engine.marks.claim(stored.id, SCHEDULED, slot.isoformat(), now):
                continue
            task = asyncio.ensure_future(self.engine.run(stored.id, Trigger("Schedule")))
            self.running.add(task)
            task.add_done_callback(self.running.discard)
            started.append(stored.id)
        if self._pruned is None or now - self._pruned > timedelta(hours=1):
            self._pruned = now
            await asyncio.to_thread(self.engine.prune, self.keep)
        return started

    async def run_forever(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                await self.tick()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)
        finally:
            for task in list(self.running):
                task.cancel()
            await asyncio.to_thread(self.lease.release, LEASE, self.holder)
