"""The workflows repository on SQLite: versions, executions, marks, and two schedulers (two connections to
one settings database, as two ``serve`` processes have) running a slot once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from threatlake.errors import ConflictError
from threatlake.state import open_state
from threatlake.state.leases import SqliteLeases
from threatlake.state.workflows import MemoryWorkflows, SqliteWorkflows
from threatlake.workflows.actions.base import Services
from threatlake.workflows.engine import WorkflowEngine
from threatlake.workflows.scheduler import Scheduler

NOW = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
SCHEDULED = """
title: every 30 minutes
tasks:
  wait: {action: dynatrace.automations:sleep, input: {seconds: 0}}
trigger:
  schedule: {trigger: {type: interval, intervalMinutes: 30}, timezone: UTC}
"""


class _Lease:
    """The state lease (``timedelta`` ttl) as the scheduler's port (seconds)."""

    def __init__(self, leases: SqliteLeases) -> None:
        self.leases = leases

    def acquire(self, name: str, holder: str, ttl: float, now: datetime) -> bool:
        return self.leases.acquire(name, holder, timedelta(seconds=ttl), now)

    def release(self, name: str, holder: str) -> None:
        self.leases.release(name, holder)


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_repository_contract(tmp_path: Path, kind: str) -> None:
    state = open_state(tmp_path) if kind == "sqlite" else None
    repo = state.workflows if state else MemoryWorkflows()
    assert isinstance(repo, SqliteWorkflows | MemoryWorkflows)
    first = repo.put_workflow("w1", {"title": "t", "tasks": {}, "z": 1, "a": 2}, NOW)
    assert first.version == 1 and list(first.document) == ["title", "tasks", "z", "a"]
    second = repo.put_workflow(
        "w1", {"title": "u", "tasks": {}}, NOW + timedelta(seconds=5), expected_version=1
    )
    assert second.version == 2 and second.created == first.created
    with pytest.raises(ConflictError):
        repo.put_workflow("w1", {"title": "v"}, NOW, expected_version=1)
    record = {"id": "e1", "workflow": "w1", "startedAt": NOW.isoformat(), "state": "SUCCESS", "tasks": {}}
    repo.save_execution(record)
    repo.save_execution({**record, "id": "e2", "startedAt": (NOW + timedelta(days=40)).isoformat()})
    assert [r["id"] for r in repo.list_executions("w1")] == ["e2", "e1"]
    assert repo.prune_executions(NOW + timedelta(days=1)) == 1 and repo.get_execution("e1") is None
    assert repo.claim("w1", "event", "k", NOW) and not repo.claim("w1", "event", "k", NOW)
    repo.mark("w1", "reported", ["a", "b"], NOW)
    assert repo.marked_since("w1", "reported", ["a", "b", "c"], NOW - timedelta(days=7)) == {"a", "b"}
    assert repo.marked_since("w1", "reported", ["a"], NOW + timedelta(days=8)) == set()
    assert repo.last("w1", "reported") == NOW
    assert repo.delete_workflow("w1") and not repo.delete_workflow("w1")
    if state:
        state.close()


def test_two_schedulers_on_one_settings_database_run_a_slot_once(tmp_path: Path) -> None:
    one, two = open_state(tmp_path), open_state(tmp_path)  # two connections, as two processes have
    now = [NOW]
    engines = [
        WorkflowEngine(s.workflows, s.workflows, s.workflows, Services(), clock=lambda: now[0])
        for s in (one, two)
    ]
    stored, _ = engines[0].save(SCHEDULED)
    schedulers = [
        Scheduler(engine, _Lease(s.leases), holder=name, clock=lambda: now[0])
        for engine, s, name in zip(engines, (one, two), ("one", "two"), strict=True)
    ]

    async def ticks() -> list[int]:
        started = []
        for minutes in (0, 30, 31, 60, 61):
            now[0] = NOW + timedelta(minutes=minutes)
            started.append(sum([len(await scheduler.tick()) for scheduler in schedulers]))
            await asyncio.gather(*(t for s in schedulers for t in s.running))
        return started

    assert asyncio.run(ticks()) == [0, 1, 0, 1, 0]
    assert len(two.workflows.list_executions(stored.id)) == 2
    one.close()
    two.close()
