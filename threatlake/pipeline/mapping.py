"""The mapping stage of ingest: bytes → documents → findings → events, with every rejection located.

Each finding is mapped on its own: a malformed one becomes a ``Rejection`` and its neighbours go on. The
fields every event shares (model.md §1) are set here, once, after the source mapped the finding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
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
    parse_timestamp,
)
from threatlake.model.event import FUTURE_TOLERANCE
from threatlake.sources import Finding, source_for
from threatlake.sources.decode import DEFAULT_MAX_DECOMPRESSED, decode
from threatlake.sources.envelope import unwrap

__all__ = ["Batch", "IngestContext", "Rejection", "map_bytes", "map_documents", "map_findings"]


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
    items: list[Finding | SourceError] = []
    for document in documents:
        if isinstance(document, SourceError):
            items.append(document)
        else:
            items.extend(unwrap(document[1], document[0]))
    _map_into(batch, items, ctx, name)
    return batch


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


def _map_into(batch: Batch, items: Iterable[Finding | SourceError], ctx: IngestContext, name: str) -> None:
    received = format_timestamp(ctx.received_at)
    horizon = ctx.received_at + FUTURE_TOLERANCE
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
        raw_data = orjson.dumps(item.raw).decode()
        shared = {
            "event.kind": EVENT_KIND,
            "cloud.provider": None if source.provider == Provider.CUSTOM else "aws",
            "dt.system.bucket": ctx.bucket,
            "dt.openpipeline.source": ctx.source,
            "dt.ingest.connection": ctx.connection,
            "dt.ingest.time": received,
            "dt.raw_data": raw_data,
        }
        envelope_time = parse_timestamp(item.envelope_time)
        for mapped in events:
            version = parse_timestamp(mapped.get("finding.time.updated")) or envelope_time
            # Without a version time, the content identifies the version, so re-sending it stores nothing new.
            content = None if version else hashlib.blake2b(raw_data.encode(), digest_size=16).hexdigest()
            mapped["timestamp"] = format_timestamp(min(version or ctx.received_at, horizon))
            mapped.update(shared)
            if not mapped.get("aws.region"):
                mapped["aws.region"] = item.region
            if not mapped.get("aws.account.id"):
                mapped["aws.account.id"] = item.account
            # Absent, never empty: drop None, "" and [] (but keep 0, 0.0 and False).
            event = {key: value for key, value in mapped.items() if value or value is False or value == 0}
            event["event.id"] = event_id(event, content)
            batch.events.append(event)


def _rejection(error: SourceError, name: str) -> Rejection:
    located = error.at(name) if name else error
    return Rejection(located.location, located.reason)
