"""The global timeframe: ``?from=now()-2h&to=now()`` in every page's URL, relative or absolute.

The platform's forms are accepted: ``now()``, ``now()-2h`` (also ``now-2h`` and a bare ``-2h``) with units
``s m h d w``, and ISO 8601 times (``2026-12-01T00:00:00Z``). A page passes its own default (Threats &
Exploits: the last 2 hours) and the resolved start and end go to every query as its default timeframe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from threatlake.errors import RequestError
from threatlake.model import parse_timestamp

__all__ = ["DEFAULT_FROM", "NOW", "PRESETS", "Timeframe", "parse_moment", "parse_timeframe"]

NOW = "now()"
DEFAULT_FROM = "now()-2h"
_MAX_TEXT = 64
_RELATIVE = re.compile(r"(?:now(?:\(\))?)?\s*(?:-\s*(\d{1,6})\s*([smhdw]))?", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: The picker's choices: (``from`` text, label).
PRESETS: tuple[tuple[str, str], ...] = (
    ("now()-15m", "Last 15 minutes"),
    ("now()-1h", "Last hour"),
    ("now()-2h", "Last 2 hours"),
    ("now()-24h", "Last 24 hours"),
    ("now()-7d", "Last 7 days"),
    ("now()-30d", "Last 30 days"),
    ("now()-365d", "Last 365 days"),
    ("now()-3650d", "Last 10 years"),
)


@dataclass(frozen=True, slots=True)
class Timeframe:
    """What the URL said (``from_text``, ``to_text``) and the moments it means at ``now``."""

    from_text: str
    to_text: str
    start: datetime
    end: datetime
    now: datetime | None = None  # the moment the texts were resolved at

    @property
    def preset(self) -> str:
        """The picker's preset this timeframe is (its ``from`` text), or "" for a custom one."""
        if self.to_text == NOW and any(value == self.from_text for value, _ in PRESETS):
            return self.from_text
        return ""

    @property
    def label(self) -> str:
        if self.preset:
            return next(label for value, label in PRESETS if value == self.preset)
        return f"{self.from_text} to {self.to_text}"

    @property
    def params(self) -> dict[str, str]:
        return {"from": self.from_text, "to": self.to_text}

    def iso(self) -> tuple[str, str]:
        return _iso(self.start), _iso(self.end)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_moment(text: str, now: datetime, field: str) -> datetime:
    """``now()-2h``-style or ISO 8601 text as a moment; RequestError naming ``field`` otherwise."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > _MAX_TEXT:
        raise RequestError(f"'{field}' must be 1 to {_MAX_TEXT} characters", {"field": field})
    match = _RELATIVE.fullmatch(cleaned)
    if match and cleaned.lower().startswith(("now", "-")):
        amount, unit = match.groups()
        if amount is None:
            return now
        return now - timedelta(**{_UNITS[unit.lower()]: int(amount)})
    parsed = parse_timestamp(cleaned)
    if parsed is None:
        raise RequestError(
            f"'{field}' must be like now()-2h (units s, m, h, d, w) or an ISO 8601 time, got {cleaned!r}",
            {"field": field},
        )
    return parsed


def parse_timeframe(params: Mapping[str, str], now: datetime, default_from: str = DEFAULT_FROM) -> Timeframe:
    """The timeframe of a page's query parameters (``from``, ``to``); RequestError when they are invalid or
    the start is not before the end."""
    from_text = (params.get("from") or default_from).strip()
    to_text = (params.get("to") or NOW).strip()
    start = parse_moment(from_text, now, "from")
    end = parse_moment(to_text, now, "to")
    if start >= end:
        raise RequestError(
            f"the timeframe must start before it ends ({from_text} … {to_text})", {"field": "from"}
        )
    return Timeframe(from_text, to_text, start, end, now)
