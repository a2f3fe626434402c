"""What an event is: a flat dict with dotted keys, plus its identity and time rules (model.md §1)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

__all__ = [
    "DEFAULT_BUCKET",
    "DELIVERY_FIELDS",
    "EVENT_KIND",
    "FUTURE_TOLERANCE",
    "TIME_RANGE",
    "Event",
    "EventType",
    "Provider",
    "event_id",
    "format_timestamp",
    "in_time_range",
    "normalize_time",
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
    "object.id",
    "object.type",
    "vulnerability.id",
    "component.name",
    "component.version",
)
# Set by the pipeline for the delivery, not by the finding: never part of its identity or content.
DELIVERY_FIELDS = frozenset(
    {
        "timestamp",
        "event.id",
        "dt.system.bucket",
        "dt.openpipeline.source",
        "dt.ingest.connection",
        "dt.ingest.time",
        "dt.raw_data",
    }
)


def event_id(event: Event, version: str | None = None) -> str:
    """A deterministic id, independent of any clock: the same finding version about the same object, with
    the same content, always hashes the same, whenever and however often it is delivered.

    Identity: provider, finding id, the object (id and type: two resources of one finding that share an id
    are two objects), the vulnerable package, and ``version`` (the finding's own version time, never
    clamped; None when it has none). Content: every mapped field but the delivery's (``DELIVERY_FIELDS``), so
    a finding changed without a new version time is a new event, not a silently dropped duplicate, while
    a re-delivery (another transport, another spelling, another receive time) is the same event.
    """
    values = [str(event.get(name) or "") for name in _ID_FIELDS]
    values.append(version or "")
    content = {key: value for key, value in event.items() if key not in DELIVERY_FIELDS}
    values.append(orjson.dumps(content, option=orjson.OPT_SORT_KEYS, default=str).decode())
    key = "\x1f".join(values)
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


# Times a ``timestamp`` can hold: from the Unix epoch to the end of signed 64-bit nanoseconds (2262). A
# vendor time outside (``0001-01-01T00:00:00Z``, a year-9999 "never") is not a version time.
TIME_RANGE = ("1970-01-01T00:00:00.000000000Z", "2262-04-11T23:47:16.854775807Z")
_FRACTION = re.compile(r"[.,](\d{7,})")


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with nanosecond digits: ``2025-08-22T01:40:10.006000000Z``."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:26] + "000Z"


def normalize_time(value: object) -> str | None:
    """A vendor time as ``format_timestamp`` writes it, keeping the nanosecond digits an ISO string has
    (``…17.000958601Z`` stays ``…17.000958601Z``); None when it is missing or unreadable."""
    extra = ""
    if isinstance(value, str):
        long_fraction = _FRACTION.search(value)
        if long_fraction is not None:  # datetime keeps microseconds: the rest is carried over as text
            extra = long_fraction.group(1)[6:9].ljust(3, "0")
            value = value[: long_fraction.start(1) + 6] + value[long_fraction.end(1) :]
    moment = parse_timestamp(value)
    if moment is None:
        return None
    written = format_timestamp(moment)
    return written[:-4] + extra + "Z" if extra else written


def in_time_range(written: str) -> bool:
    """True when a ``format_timestamp`` string lies in ``TIME_RANGE`` (fixed width: string order is time)."""
    return TIME_RANGE[0] <= written <= TIME_RANGE[1]


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
