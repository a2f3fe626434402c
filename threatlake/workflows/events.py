"""Which newly stored events an event trigger's condition matches, asked of the store itself.

The trigger's condition is DQL (``event.type == "DETECTION_FINDING" AND dt.security.risk.level ==
"CRITICAL"``), so the store evaluates it with the same compiler as every query: ``fetch`` over the new events'
timeframe, ``filter in(event.id, {...})`` for exactly the new ones, then the condition. The matching records
come back in the platform's shape, which is what ``event()`` shows a template.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from threatlake.model import parse_timestamp
from threatlake.workflows.ports import QueryFunction

__all__ = ["matching_events"]

_ID = re.compile(r"[A-Za-z0-9_.:-]{1,200}")
_CHUNK = 500


def matching_events(
    query: QueryFunction, condition: str, events: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The records of those ``events`` (each with ``event.id`` and ``timestamp``) that ``condition`` keeps."""
    chosen: list[tuple[str, datetime]] = []
    for event in events:
        identity, moment = str(event.get("event.id") or ""), _moment(event.get("timestamp"))
        if _ID.fullmatch(identity) and moment is not None:
            chosen.append((identity, moment))
    found: list[dict[str, Any]] = []
    for start in range(0, len(chosen), _CHUNK):
        chunk = chosen[start : start + _CHUNK]
        low = min(m for _, m in chunk)
        high = max(m for _, m in chunk) + timedelta(seconds=1)
        ids = ", ".join(f'"{identity}"' for identity, _ in chunk)
        text = (
            f'fetch security.events, from:"{low.isoformat()}", to:"{high.isoformat()}"'
            f" | filter in(event.id, {{{ids}}})" + (f"\n| filter ({condition})" if condition.strip() else "")
        )
        found.extend(query(text, max_records=len(chunk)).get("records") or [])
    return found


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return parse_timestamp(str(value)) if value else None
