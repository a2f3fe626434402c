"""The mapping stage of ingest: bytes → documents → findings → events, with every rejection located.

Each finding is mapped on its own: a malformed one becomes a ``Rejection`` and its neighbours go on. The
fields every event shares (model.md §1) are set here, once, after the source mapped the finding.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from threatlake.errors import SourceError
from threatlake.model import (
    DEFAULT_BUCKET,
    EVENT_KIND,
    Event,
    Provider,
    event_id,
    format_timestamp,
    in_time_range,
    normalize_time,
    parse_timestamp,
)
from threatlake.model.event import FUTURE_TOLERANCE
from threatlake.sources import Finding, source_for
from threatlake.sources.decode import DEFAULT_MAX_DECOMPRESSED, Document, decode
from threatlake.sources.envelope import unwrap
from threatlake.sources.stream import PART_LINES, decode_stream

__all__ = ["Batch", "IngestContext", "Rejection", "map_bytes", "map_documents", "map_findings", "map_stream"]


@dataclass(frozen=True, slots=True)
class IngestContext:
    """What the edge knows about a delivery: when it arrived, through which path, from which connection."""

    received_at: datetime
    source: str = "cli"
    connection: str | None = None
    bucket: str = DEFAULT_BUCKET
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED


@dataclass(frozen=True, slots=True)
class Rejection:
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}" if self.location else self.reason


@dataclass(slots=True)
class Batch:
    """The outcome of mapping one delivery."""

    events: list[Event] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    findings: int = 0

    def extend(self, other: Batch) -> None:
        self.events.extend(other.events)
        self.rejections.extend(other.rejections)
        self.findings += other.findings


def map_bytes(data: bytes, ctx: IngestContext, name: str = "") -> Batch:
    """Map a whole delivery (a file, a request body). ``name`` prefixes every rejection's location."""
    batch = Batch()
    try:
        documents = list(decode(data, max_decompressed=ctx.max_decompressed))
    except SourceError as error:
        batch.rejections.append(_rejection(error, name))
        return batch
    _map_into(batch, _unwrapped(documents), ctx, name)
    return batch


def map_stream(
    chunks: Iterable[bytes], ctx: IngestContext, name: str = "", part_lines: int = PART_LINES
) -> Iterator[Batch]:
    """Map a delivery read in chunks (a large file) part by part: NDJSON in batches of ``part_lines``
    lines, so memory is flat in its size (``sources.stream``); one JSON value whole. Together the batches
    hold what ``map_bytes`` of the joined chunks holds, except that the parts before an error of the gzip
    framing (truncated, over the limit) are kept, as any good neighbours of a bad part are."""
    parts = decode_stream(chunks, max_decompressed=ctx.max_decompressed, part_lines=part_lines)
    while True:
        try:
            documents = next(parts, None)
        except SourceError as error:
            yield Batch(rejections=[_rejection(error, name)])
            return
        if documents is None:
            return
        batch = Batch()
        _map_into(batch, _unwrapped(documents), ctx, name)
        yield batch


def map_documents(documents: Iterable[Any], ctx: IngestContext, name: str = "") -> Batch:
    """Map already-decoded JSON documents (an API caller's parsed body, a backfill page)."""
    batch = Batch()
    items: list[Finding | SourceError] = []
    for index, document in enumerate(documents):
        items.extend(unwrap(document, f"[{index}]"))
    _map_into(batch, items, ctx, name)
    return batch


def map_findings(findings: Iterable[Finding], ctx: IngestContext) -> Batch:
    batch = Batch()
    _map_into(batch, findings, ctx, "")
    return batch


def _unwrapped(documents: list[Document | SourceError]) -> Iterator[Finding | SourceError]:
    for document in documents:
        if isinstance(document, SourceError):
            yield document
        else:
            yield from unwrap(document[1], document[0])


def _map_into(batch: Batch, items: Iterable[Finding | SourceError], ctx: IngestContext, name: str) -> None:
    clock = _Clock(ctx.received_at)
    received = clock.received
    events_out = batch.events
    for item in items:
        if isinstance(item, SourceError):
            batch.rejections.append(_rejection(item, name))
            continue
        batch.findings += 1
        source = source_for(item)
        try:
            events = source.map(item)
        except SourceError as error:
            batch.rejections.append(_rejection(error.at(item.location, "."), name))
            continue
        raw_data = _raw_data(item.raw)
        shared = {
            "event.kind": EVENT_KIND,
            "cloud.provider": None if source.provider == Provider.CUSTOM else "aws",
            "dt.system.bucket": ctx.bucket,
            "dt.openpipeline.source": ctx.source,
            "dt.ingest.connection": ctx.connection,
            "dt.ingest.time": received,
            "dt.raw_data": raw_data,
        }
        envelope_time = clock.version(item.envelope_time)
        for mapped in events:
            for key in _VENDOR_TIMES:
                written = mapped.get(key)
                if type(written) is str:
                    mapped[key] = _normalized(written) or written  # unreadable: kept as written
            own_version = clock.version(mapped.get("finding.time.updated"))
            mapped["timestamp"] = clock.stamp(own_version or envelope_time)
            mapped.update(shared)
            if not mapped.get("aws.region"):
                mapped["aws.region"] = item.region
            if not mapped.get("aws.account.id"):
                mapped["aws.account.id"] = item.account
            # Absent, never empty: drop None, "" and [] (but keep 0, 0.0 and False). None, by far the most
            # common empty value, is ruled out first.
            event = {
                key: value
                for key, value in mapped.items()
                if value or (value is not None and (value is False or value == 0))
            }
            # The finding's own version time, unclamped, and its content identify it; never a clock.
            event["event.id"] = event_id(event, own_version)
            events_out.append(event)


class _Clock:
    """Version times and timestamps as formatted strings (``format_timestamp``).

    ``format_timestamp`` writes fixed-width UTC, so string order is time order: the future clamp is a string
    ``min``, and a vendor time string is parsed and formatted once per distinct string (a delivery repeats
    few of them: envelope times, shared update times), not once per event.
    """

    def __init__(self, received_at: datetime) -> None:
        self.received = format_timestamp(received_at)
        self._horizon = format_timestamp(received_at + FUTURE_TOLERANCE)
        self._naive = received_at.utcoffset() is None

    def version(self, value: object) -> str | None:
        """A vendor time (ISO string or epoch number) as a formatted timestamp, or None when unreadable."""
        if isinstance(value, str):
            return _version_text(value)
        return _format(parse_timestamp(value)) if value is not None else None

    def stamp(self, version: str | None) -> str:
        """The event's timestamp: its version time, never beyond the receive time plus the tolerance."""
        if version is None:
            return self.received
        if self._naive:  # as comparing the parsed (aware) time with a naive receive time always did
            raise TypeError("can't compare offset-naive and offset-aware datetimes")
        return min(version, self._horizon)


# Vendor times written as ISO 8601 in UTC with nine fractional digits, like ``timestamp``.
_VENDOR_TIMES = ("finding.time.created", "finding.time.updated")
_normalized = lru_cache(maxsize=4096)(normalize_time)


def _format(moment: datetime | None) -> str | None:
    """A version time at the store's precision (microseconds), or None outside ``TIME_RANGE``."""
    if moment is None:
        return None
    written = format_timestamp(moment)
    return written if in_time_range(written) else None


@lru_cache(maxsize=4096)
def _version_text(value: str) -> str | None:
    return _format(parse_timestamp(value))


def _raw_data(raw: dict[str, Any]) -> str:
    """The finding as JSON. A caller's parsed document may hold what orjson will not write (an integer
    beyond 64 bits, a non-string key): the standard library writes those, never failing the finding."""
    try:
        return orjson.dumps(raw).decode()  # writes NaN and infinities as null
    except orjson.JSONEncodeError:
        return json.dumps(_finite(raw), default=str, separators=(",", ":"), ensure_ascii=False)


def _finite(value: Any, depth: int = 0) -> Any:
    """``value`` with NaN and infinities as None (null, as orjson writes them): never ``NaN`` in JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 256:  # beyond any finding's nesting; the standard library writes the rest
        return value
    if isinstance(value, dict):
        return {key: _finite(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item, depth + 1) for item in value]
    return value


def _rejection(error: SourceError, name: str) -> Rejection:
    located = error.at(name) if name else error
    return Rejection(located.location, located.reason)
