"""Schedules: cron, interval and time of day in a time zone, across DST; missed runs collapse into one;
the scheduler acts only under the lease and runs a slot once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from threatlake.workflows.actions.base import Services
from threatlake.workflows.definition import Schedule
from threatlake.workflows.engine import WorkflowEngine
from threatlake.workflows.memory import MemoryLease, MemoryWorkflowState
from threatlake.workflows.schedule import latest_due, next_run
from threatlake.workflows.scheduler import Scheduler


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        (Schedule("cron", cron="0 9 * * MON", timezone="Europe/Vienna"), utc(2026, 1, 1), utc(2026, 1, 5, 8)),
        (Schedule("cron", cron="0 9 * * MON", timezone="Europe/Vienna"), utc(2026, 7, 1), utc(2026, 7, 6, 7)),
        # spring forward in Vienna (02:00 → 03:00): 02:30 does not exist and runs once at 03:00 local
        (Schedule("time", time="02:30", timezone="Europe/Vienna"), utc(2026, 3, 28, 12), utc(2026, 3, 29, 1)),
        # fall back (03:00 → 02:00): 02:30 happens twice and runs once
        (
            Schedule("time", time="02:30", timezone="Europe/Vienna"),
            utc(2026, 10, 25, 0, 40),
            utc(2026, 10, 26, 1, 30),
        ),
        (Schedule("time", time="8:00", timezone="America/New_York"), utc(2026, 1, 1), utc(2026, 1, 1, 13)),
        (Schedule("interval", interval_minutes=30), utc(2026, 1, 1, 0, 10), utc(2026, 1, 1, 0, 30)),
    ],
)
def test_next_run(schedule: Schedule, after: datetime, expected: datetime) -> None:
    assert next_run(schedule, after) == expected


def test_missed_runs_collapse_into_the_latest() -> None:
    daily = Schedule("time", time="08:00", timezone="UTC")
    assert latest_due(daily, utc(2026, 1, 1), utc(2026, 3, 1, 9)) == utc(2026, 3, 1, 8)
    assert latest_due(daily, utc(2026, 3, 1, 8), utc(2026, 3, 1, 9)) is None
    every = Schedule("interval", interval_minutes=15)
    assert latest_due(every, utc(2026, 1, 1), utc(2026, 1, 2, 0, 20)) == utc(2026, 1, 2, 0, 15)


SCHEDULED = """
title: every 30 minutes
tasks:
  wait: {action: dynatrace.automations:sleep, input: {seconds: 0}}
trigger:
  schedule: {trigger: {type: interval, intervalMinutes: 30}, timezone: UTC, isActive: true}
"""


def test_two_schedulers_on_one_state_run_a_slot_once() -> None:
    state, lease = MemoryWorkflowState(), MemoryLease()
    now = [utc(2026, 1, 1, 0, 5)]
    engine = WorkflowEngine(state, state, state, Services(), clock=lambda: now[0])
    stored, _ = engine.save(SCHEDULED)
    first = Scheduler(engine, lease, holder="one", clock=lambda: now[0])
    second = Scheduler(engine, lease, holder="two", clock=lambda: now[0])

    async def ticks() -> list[list[str]]:
        out = []
        for minutes in (0, 30, 31, 60, 300):  # the 300th minute follows a long outage
            now[0] = utc(2026, 1, 1, 0, 5) + timedelta(minutes=minutes)
            out.append(await first.tick() + await second.tick())
            await asyncio.gather(*first.running, *second.running)
        return out

    started = asyncio.run(ticks())
    assert started == [[], [stored.id], [], [stored.id], [stored.id]]
    assert len(state.list_executions(stored.id)) == 3
    assert all(e["triggerType"] == "Schedule" for e in state.list_executions(stored.id))


def test_the_lease_passes_when_its_holder_stops_renewing() -> None:
    lease = MemoryLease()
    assert lease.acquire("s", "one", 60, utc(2026, 1, 1))
    assert not lease.acquire("s", "two", 60, utc(2026, 1, 1, 0, 0, 59))
    assert lease.acquire("s", "two", 60, utc(2026, 1, 1, 0, 1, 1))
    lease.release("s", "two")
    assert lease.acquire("s", "one", 60, utc(2026, 1, 1, 0, 1, 2))


def test_inactive_schedule_never_runs() -> None:
    state, lease = MemoryWorkflowState(), MemoryLease()
    now = utc(2026, 1, 1)
    engine = WorkflowEngine(state, state, state, Services(), clock=lambda: now)
    engine.save(SCHEDULED.replace("isActive: true", "isActive: false"))
    scheduler = Scheduler(engine, lease, clock=lambda: now + timedelta(days=1))
    assert asyncio.run(scheduler.tick()) == []
