"""Any other JSON object: stored as an unmapped event of provider ``Custom`` (model.md §6)."""

from __future__ import annotations

from typing import Any

from threatlake.model import Event, Provider
from threatlake.sources.source import Finding, Source

__all__ = ["SOURCE"]


def _detect(raw: dict[str, Any]) -> bool:
    return True


def _map(finding: Finding) -> list[Event]:
    raw = finding.raw
    event: Event = {"event.provider": Provider.CUSTOM.value, "event.type": None}
    for key in ("id", "Id", "uid"):
        value = raw.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            event["finding.id"] = str(value)
            break
    return [event]


SOURCE = Source(name="custom", provider=Provider.CUSTOM.value, detect=_detect, map=_map)
