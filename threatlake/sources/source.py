"""The shape every source shares: an unwrapped finding in, a list of events out.

A *source* is one upstream format (GuardDuty, ASFF, OCSF, custom). Each source module exposes one
``SOURCE = Source(...)`` entry; ``threatlake.sources.SOURCES`` is the registry. Mappers are pure: they never
read the clock, the disk or the environment, and they never mutate the finding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from threatlake.errors import SourceError
from threatlake.model import Event

__all__ = ["Finding", "Source", "TooDeep"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding as AWS wrote it, with what its transport envelope said about it.

    ``source`` is the name of the source the envelope vouches for (``"guardduty"`` for a ``GuardDuty Finding``
    event), or None for a bare finding whose format must be detected. ``location`` points at it in the input
    (``[2].detail.findings[0]``). ``envelope_time``/``region``/``account`` come from an EventBridge envelope.
    """

    raw: dict[str, Any]
    location: str = ""
    source: str | None = None
    envelope_time: str | None = None
    region: str | None = None
    account: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A registry entry: how to recognise a bare finding of this format and how to map it.

    ``map`` returns one or more events holding the finding-specific fields (model.md §2-§5), with
    ``finding.time.updated`` set when the finding carries its version time; the pipeline adds the fields
    every event shares (timestamp, ids, kind, raw data, ingest metadata). It raises ``SourceError`` (with a
    location inside the finding) for a finding it cannot map, and nothing else.
    """

    name: str
    provider: str
    detect: Callable[[dict[str, Any]], bool]
    map: Callable[[Finding], list[Event]]


class TooDeep:
    """Stands, in a decoded document, for one element nested deeper than the limit (``decode``): the element
    (a finding, usually) is rejected on its own, located by ``envelope.unwrap``, and its neighbours go on."""

    __slots__ = ("error",)

    def __init__(self, error: SourceError) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"TooDeep({self.error.reason!r})"
