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

__all__ = ["Finding", "Source", "TooDeep", "TypedEvent"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding as AWS wrote it, with what its transport envelope said about it.

    ``source`` is the name of the source the envelope vouches for (``"guardduty"`` for a ``GuardDuty Finding``
    event), or None for a bare finding whose format must be detected. ``location`` points at it in the input
    (``[2].detail.findings[0]``). ``envelope_time``/``region``/``account`` come from an EventBridge envelope.
    ``raw_json`` is the finding's own bytes as received, when the typed decode (``sources.typed``) took them
    from the input; ``raw`` then holds only the keys its mapper reads.
    """

    raw: dict[str, Any]
    location: str = ""
    source: str | None = None
    envelope_time: str | None = None
    region: str | None = None
    account: str | None = None
    raw_json: str | None = None


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


class TypedEvent:
    """Stands, in a decoded document, for an EventBridge event the typed decode read (``sources.typed``):
    its findings as (the keys the mapper reads, the finding's JSON as received) and what its envelope says.
    ``envelope.unwrap`` turns it into the same findings, at the same locations, as the decoded event."""

    __slots__ = ("account", "findings", "region", "source", "time")

    def __init__(
        self,
        source: str,
        findings: list[tuple[dict[str, Any], str]],
        time: str | None,
        region: str | None,
        account: str | None,
    ) -> None:
        self.source = source
        self.findings = findings
        self.time = time
        self.region = region
        self.account = account

    def __repr__(self) -> str:
        return f"TypedEvent({self.source!r}, {len(self.findings)} findings)"
