"""What a 202 from the ingest endpoint says, and which events of the request it rejected.

Only a genuine ingest answer counts as delivered: status 202 with either the Threatlake body (a JSON object
with integer ``accepted`` and ``rejected`` and a list of per-finding ``errors``, docs/api.md) or no body at
all (the commercial platform's 202). A 200 or 204, or a 202 with an HTML page (a proxy's login or error
page), is not: nothing says the events were stored.

Each error names the finding's ``location`` in the request body (``[2].detail.findings[1]``) and the index of
its top-level array element (``index``: 2), which is the position of the event in the request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

__all__ = ["FindingError", "Receipt", "read_receipt"]

_FINDING = re.compile(r"^\[(\d+)\]\.detail\.findings\[(\d+)\]$")


@dataclass(frozen=True)
class FindingError:
    """One finding the endpoint rejected: where it is in the request and why."""

    location: str
    message: str
    index: int | None  # the event's position in the request; None when the endpoint did not say


@dataclass(frozen=True)
class Receipt:
    """A genuine ingest answer. ``rejected`` is the complete count; ``errors`` may list fewer."""

    accepted: int | None  # None: the endpoint does not say (an empty 202)
    rejected: int
    errors: tuple[FindingError, ...]

    def by_event(self, events: int) -> dict[int, list[FindingError]] | None:
        """The errors grouped by event position, or None when some rejection cannot be placed."""
        if self.rejected != len(self.errors):
            return None
        grouped: dict[int, list[FindingError]] = {}
        for error in self.errors:
            if error.index is None or not 0 <= error.index < events:
                return None
            grouped.setdefault(error.index, []).append(error)
        return grouped


def read_receipt(status: int, headers: Mapping[str, str], body: bytes) -> Receipt | None:
    """The receipt in an answer, or None when the answer is not a genuine ingest answer."""
    if status != 202:
        return None
    if not body.strip():
        return Receipt(accepted=None, rejected=0, errors=())
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    accepted, rejected = document.get("accepted"), document.get("rejected")
    errors = document.get("errors", [])
    if not (_count(accepted) and _count(rejected) and isinstance(errors, list)):
        return None
    return Receipt(accepted, rejected, tuple(_error(item) for item in errors))


def finding_position(location: str, event: int) -> int | None:
    """The position in ``detail.findings`` of the event at ``event`` that ``location`` names, if it does."""
    match = _FINDING.match(location)
    if match and int(match.group(1)) == event:
        return int(match.group(2))
    return None


def _count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _error(item: Any) -> FindingError:
    if not isinstance(item, dict):
        return FindingError(location="", message=str(item)[:500], index=None)
    index = item.get("index")
    return FindingError(
        location=str(item.get("location", "")),
        message=str(item.get("message", "rejected"))[:1000],
        index=index if _count(index) else None,
    )
