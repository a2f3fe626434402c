"""Ingest: ``POST /platform/ingest/v1/security.events`` (and its aliases and custom endpoints).

A request is read within the limits and decoded here; ``threatlake.service.ingest`` unwraps and maps it and
runs the pipeline of its endpoint (docs/pipelines.md; none by default), off the event loop; the events go to
the writer, and the 202 goes out only once the writer's commit containing its events has returned. Every
malformed finding is reported with its location (array index); its neighbours are still stored. A body
where nothing could be used is a 400 listing every error.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.errors import BodyTooLargeError, RequestError
from threatlake.pipeline.mapping import Batch, IngestContext, Rejection
from threatlake.service.ingest import Processed, map_body
from threatlake.web.auth import authorize
from threatlake.web.body import Limits, decode_body, read_body
from threatlake.web.services import services

__all__ = ["CUSTOM_SCOPE", "INGEST_PATHS", "ROUTES", "SCOPE"]

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


async def _ingest(request: Request, source: str, scope: str, endpoint: str | None = None) -> Response:
    started = time.perf_counter()
    token = authorize(request, scope)
    found = services(request)
    config = found.config
    if endpoint is not None and not _NAME.fullmatch(endpoint):  # after authentication: names are not probed
        raise RequestError(
            "A custom endpoint name has 1 to 100 letters, digits, '.', '_' or '-'", {"name": endpoint[:100]}
        )
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

    def work() -> tuple[Batch, int, Processed]:
        body = decode_body(data, headers.get("content-type"), headers.get("content-encoding"), limits)
        # an array's items are findings or events that hold them: refused here, before any is mapped
        documents = sum(len(doc) if isinstance(doc, list) else 1 for _, doc in body.documents)
        _cap("findings", documents, config.max_findings_per_request, "max_findings_per_request")
        batch, accepted = map_body(body.documents, body.rejections, ctx)
        _cap("findings", batch.findings, config.max_findings_per_request, "max_findings_per_request")
        _cap("events", len(batch.events), config.max_events_per_request, "max_events_per_request")
        return batch, accepted, found.ingest.process(batch, ctx.received_at, endpoint)

    batch, accepted, processed = await run_in_threadpool(work)
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
    written = await found.writer.write(events)
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


async def ingest(request: Request) -> Response:
    return await _ingest(request, request.url.path, SCOPE)


async def ingest_custom(request: Request) -> Response:
    return await _ingest(request, request.url.path, CUSTOM_SCOPE, endpoint=request.path_params["name"])


ROUTES = [Route(path, ingest, methods=["POST"]) for path in INGEST_PATHS] + [
    Route(path, ingest_custom, methods=["POST"]) for path in CUSTOM_PATHS
]
