"""When a scheduled workflow is due: cron, interval and time-of-day schedules in a time zone, DST included.

Cron and time-of-day schedules are evaluated in the schedule's time zone by ``cronsim`` (the cron semantics of
healthchecks.io): on a spring-forward day a time in the skipped hour runs once at the first valid moment, on a
fall-back day a repeated time runs once. Interval schedules count whole intervals from the Unix epoch, so
every process agrees on the slots. Pure: times are passed in, all aware, results in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim

from threatlake.workflows.definition import Schedule

__all__ = ["latest_due", "next_run"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_STEPS = 100_000


def _cron(schedule: Schedule) -> str:
    if schedule.kind == "time":
        hour, minute = schedule.time.split(":")[:2]
        return f"{int(minute)} {int(hour)} * * *"
    return schedule.cron


def next_run(schedule: Schedule, after: datetime) -> datetime:
    """The first slot strictly after ``after``."""
    if schedule.kind == "interval":
        step = timedelta(minutes=schedule.interval_minutes)
        slots = (after - _EPOCH) // step
        return _EPOCH + (slots + 1) * step
    zone = ZoneInfo(schedule.timezone)
    return next(iter(CronSim(_cron(schedule), after.astimezone(zone)))).astimezone(UTC)


def latest_due(schedule: Schedule, since: datetime, now: datetime) -> datetime | None:
    """The latest slot in ``(since, now]``, or None: however many were missed, a workflow runs once."""
    if schedule.kind == "interval":
        step = timedelta(minutes=schedule.interval_minutes)
        latest = _EPOCH + ((now - _EPOCH) // step) * step
        return latest if latest > since else None
    slot = next_run(schedule, since)
    if slot > now:
        return None
    found = slot
    zone = ZoneInfo(schedule.timezone)
    # Jump close to now for a long outage instead of walking every missed slot.
    if now - since > timedelta(days=2):
        probe = next_run(schedule, now - timedelta(days=2))
        found = probe if probe <= now else found
    for count, moment in enumerate(CronSim(_cron(schedule), found.astimezone(zone))):
        utc = moment.astimezone(UTC)
        if utc > now or count > _MAX_STEPS:
            break
        found = utc
    return found
