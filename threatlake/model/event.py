"""What an event is: a flat dict with dotted keys, plus its identity and time rules (model.md §1)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "DEFAULT_BUCKET",
    "EVENT_KIND",
    "FUTURE_TOLERANCE",
    "Event",
    "EventType",
    "Provider",
    "event_id",
    "format_timestamp",
    "parse_timestamp",
]

Event = dict[str, Any]

EVENT_KIND = "SECURITY_EVENT"
DEFAULT_BUCKET = "default_securityevents"
FUTURE_TOLERANCE = timedelta(minutes=10)


class EventType(StrEnum):
    DETECTION = "DETECTION_FINDING"
    VULNERABILITY = "VULNERABILITY_FINDING"
    COMPLIANCE = "COMPLIANCE_FINDING"


class Provider(StrEnum):
    GUARDDUTY = "Amazon GuardDuty"
    SECURITY_HUB = "AWS Security Hub"
    CUSTOM = "Custom"


_ID_FIELDS = (
    "event.provider",
    "finding.id",
    "timestamp",
    "object.id",
    "vulnerability.id",
    "component.name",
    "component.version",
)


def event_id(event: Event, version: str | None = None) -> str:
    """A deterministic id: the same finding version about the same object always hashes the same.

    ``version`` stands in for ``timestamp`` when the finding carries no version time of its own (its
    timestamp is then the receive time, which differs on every delivery): pass a digest of its content.
    """
    values = [str(event.get(name) or "") for name in _ID_FIELDS]
    if version is not None:
        values[_ID_FIELDS.index("timestamp")] = version
    key = "\x1f".join(values)
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with nanosecond digits: ``2025-08-22T01:40:10.006000000Z``."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:26] + "000Z"


def parse_timestamp(value: object) -> datetime | None:
    """A vendor time as an aware UTC datetime, or None when it is missing or unreadable.

    Accepts ISO 8601 strings (``Z`` or an offset; naive means UTC) and epoch numbers in seconds or
    milliseconds (GuardDuty writes some times as floats such as ``1.6E9``; OCSF writes milliseconds).
    """
    if isinstance(value, str):
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000.0
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None
