"""Ingest: ``POST /platform/ingest/v1/security.events`` (and its aliases and custom endpoints).

A request is read within the limits and decoded here; ``threatlake.service.ingest`` unwraps and maps it and
runs the pipeline of its endpoint (docs/pipelines.md; none by default), off the event loop, and the events are
converted for the store there too (``threatlake.store.rows.prepare``), so the one writer thread only writes;
the events and their rows go to the writer, and the 202 goes out only once the writer's commit containing
them has returned. With ``map_workers`` a worker process decodes and maps, and, when the endpoint has no
pipeline, prepares the rows as well and sends them back as Arrow IPC (``map_and_prepare``). Every
malformed finding is reported with its location (array index); its neighbours are still stored. A body
where nothing could be used is a 400 listing every error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from threatlake.errors import BodyTooLargeError, RequestError
from threatlake.pipeline.mapping import Batch, IngestContext, Rejection
from threatlake.service.ingest import Ingest, Processed, map_body
from threatlake.store.protocol import Rows
from threatlake.store.rows import from_ipc, prepare, to_ipc
from threatlake.web.body import Limits, decode_body, read_body
from threatlake.web.openapi import OBJECT, Operation, Schema, json_body, path_parameter
from threatlake.web.principal import caller
from threatlake.web.services import services

__all__ = [
    "CUSTOM_PATHS",
    "CUSTOM_SCOPE",
    "INGEST",
    "INGEST_CUSTOM",
    "INGEST_PATHS",
    "SCOPE",
    "ingest",
    "ingest_custom",
]

SCOPE = "openpipeline.events_security"
CUSTOM_SCOPE = "openpipeline.events_security.custom"
INGEST_PATHS = ("/platform/ingest/v1/security.events", "/platform/ingest/v1/events.security")
CUSTOM_PATHS = (
    "/platform/ingest/custom/security.events/{name}",
    "/platform/ingest/custom/events.security/{name}",
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_INDEX = re.compile(r"^\[(\d+)\]")
_MAX_ERRORS = 100  # errors listed in one response; the counts are always complete


def _cap(what: str, count: int, limit: int, setting: str) -> None:
    if count > limit:
        raise BodyTooLargeError(
            f"The body holds {count} {what}; at most {limit} are accepted per request ({setting}): "
            "split it into smaller requests",
            {what: count, "limit": limit},
        )


def _error(rejection: Rejection) -> dict[str, Any]:
    entry: dict[str, Any] = {"location": rejection.location, "message": rejection.reason}
    index = _INDEX.match(rejection.location)
    if index:
        entry["index"] = int(index.group(1))
    return entry


async def _ingest(request: Request, source: str, endpoint: str | None = None) -> Response:
    started = time.perf_counter()
    token = caller(request)
    found = services(request)
    config = found.config
    limits = Limits(
        config.max_body_bytes, config.max_decompressed_bytes, config.max_json_depth, config.max_inflate_ratio
    )
    data = await read_body(request, config.max_body_bytes)
    ctx = IngestContext(
        received_at=datetime.now(UTC),
        source=source,
        connection=token.connection,
        max_decompressed=config.max_decompressed_bytes,
    )
    headers = request.headers
    delivery = Delivery(
        data,
        headers.get("content-type"),
        headers.get("content-encoding"),
        limits,
        ctx,
        config.max_findings_per_request,
        config.max_events_per_request,
    )
    mappers = found.ingest.mappers

    def work() -> tuple[Batch, int, Processed, Rows]:
        batch, accepted = decode_and_map(delivery)
        return batch, accepted, *_processed(found.ingest, batch, ctx.received_at, endpoint)

    if mappers is None:
        batch, accepted, processed, rows = await run_in_threadpool(work)
    elif found.ingest.pipeline(endpoint).noop:  # map_workers: decode, map and prepare in a worker process
        mapped, rows = await asyncio.wrap_future(_with_rows(mappers.run(map_and_prepare, delivery)))
        batch, accepted, processed = mapped.batch, mapped.accepted, Processed(mapped.batch.events)
    else:  # decode + map in a worker process, the pipeline (and the rows) here
        batch, accepted = await asyncio.wrap_future(mappers.run(decode_and_map, delivery))
        processed, rows = await run_in_threadpool(_processed, found.ingest, batch, ctx.received_at, endpoint)
    events, dropped = processed.events, processed.dropped
    rejected = len(batch.rejections)
    errors = [_error(rejection) for rejection in batch.rejections[:_MAX_ERRORS]]
    found.metrics.count_received(events, rejected, token.connection)
    request.state.accepted, request.state.rejected = accepted, rejected
    if not accepted and rejected:
        raise RequestError(
            f"No finding in the body could be used ({rejected} rejected): {batch.rejections[0]}",
            {"rejected": rejected, "errors": errors},
        )
    if not accepted and not rejected:
        raise RequestError("The body holds no findings")
    written = await found.writer.write(events, rows)
    request.state.events = len(events)
    found.metrics.ingest_seconds.observe(time.perf_counter() - started)
    body = {
        "accepted": accepted,
        "rejected": rejected,
        "events": len(events),
        "dropped": dropped,
        "stored": written.stored,
        "duplicates": written.duplicates,
        "errors": errors,
    }
    return Response(orjson.dumps(body), 202, media_type="application/json")


@dataclasses.dataclass(frozen=True, slots=True)
class Delivery:
    """A request body with what its decoding and mapping need (picklable: it goes to a map worker)."""

    data: bytes
    content_type: str | None
    content_encoding: str | None
    limits: Limits
    ctx: IngestContext
    max_findings: int
    max_events: int


def decode_and_map(delivery: Delivery) -> tuple[Batch, int]:
    """A request body decoded and mapped within the per-request caps: the batch and the findings accepted.
    Pure: with ``map_workers`` it runs in a map worker process."""
    limits, max_findings = delivery.limits, delivery.max_findings
    body = decode_body(delivery.data, delivery.content_type, delivery.content_encoding, limits)
    # an array's items are findings or events that hold them: refused here, before any is mapped
    documents = sum(len(doc) if isinstance(doc, list) else 1 for _, doc in body.documents)
    _cap("findings", documents, max_findings, "max_findings_per_request")
    batch, accepted = map_body(body.documents, body.rejections, delivery.ctx)
    _cap("findings", batch.findings, max_findings, "max_findings_per_request")
    _cap("events", len(batch.events), delivery.max_events, "max_events_per_request")
    return batch, accepted


@dataclasses.dataclass(frozen=True, slots=True)
class Mapped:
    """What a map worker sends back for an endpoint without a pipeline: the batch, the findings accepted,
    and its events prepared for the store (Arrow IPC bytes and the repeats count)."""

    batch: Batch
    accepted: int
    rows: bytes
    repeats: int


def map_and_prepare(delivery: Delivery) -> Mapped:
    """``decode_and_map`` and then the events' rows (``prepare``), for an endpoint without a pipeline. Pure:
    it runs in a map worker process."""
    batch, accepted = decode_and_map(delivery)
    return Mapped(batch, accepted, *to_ipc(prepare(batch.events)))


def _with_rows(mapping: Future[Mapped]) -> Future[tuple[Mapped, Rows]]:
    """A map worker's answer and its rows, read (no copy, ~0.1 ms for 500 events) in the thread that
    receives the answer rather than on the event loop."""
    read: Future[tuple[Mapped, Rows]] = Future()

    def settle(done: Future[Mapped]) -> None:
        try:
            mapped = done.result()
            read.set_result((mapped, from_ipc(mapped.rows, mapped.repeats)))
        except Exception as error:
            read.set_exception(error)

    mapping.add_done_callback(settle)
    return read


def _processed(ingest: Ingest, batch: Batch, now: datetime, endpoint: str | None) -> tuple[Processed, Rows]:
    """The endpoint's pipeline over ``batch`` and the rows of what remains (blocking: off the event loop)."""
    processed = ingest.process(batch, now, endpoint)
    return processed, prepare(processed.events)


async def ingest(request: Request) -> Response:
    return await _ingest(request, request.url.path)


async def ingest_custom(request: Request) -> Response:
    name = request.path_params["name"]
    if not _NAME.fullmatch(name):
        raise RequestError(
            "A custom endpoint name has 1 to 100 letters, digits, '.', '_' or '-'", {"name": name[:100]}
        )
    return await _ingest(request, request.url.path, endpoint=name)


_FINDINGS: Schema = {"oneOf": [OBJECT, {"type": "array", "items": OBJECT}]}
_ACCEPTED: Schema = {
    "type": "object",
    "required": ["accepted", "rejected", "errors"],
    "properties": {
        "accepted": {"type": "integer"},
        "rejected": {"type": "integer"},
        "events": {"type": "integer"},
        "dropped": {"type": "integer"},
        "stored": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "errors": {"type": "array", "items": OBJECT},
    },
}
INGEST = Operation(
    "Ingest findings (JSON object or array, or NDJSON as application/x-ndjson; gzip accepted)",
    {"202": ("Every accepted event is durably stored", _ACCEPTED)},
    ("400", "401", "403", "408", "413", "415", "429", "503"),
    body=json_body(_FINDINGS),
)
INGEST_CUSTOM = dataclasses.replace(INGEST, parameters=(path_parameter("name"),))
