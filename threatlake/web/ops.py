"""Operations: liveness, readiness, Prometheus metrics and one structured JSON log line per request."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter as Tally
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from threatlake.model import Event
from threatlake.service.ingest import new_events
from threatlake.store import WriteResult
from threatlake.web.auth import authorize
from threatlake.web.services import services

__all__ = ["ROUTES", "AccessLog", "JsonFormatter", "Metrics"]

access_log = logging.getLogger("threatlake.access")

#: The scope ``/metrics`` needs when ``metrics_token_required`` is on.
METRICS_SCOPE = "settings:read"

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The service's Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("provider", "connection")
        self.received = Counter(
            "threatlake_events_received",
            "Events mapped from accepted findings",
            labels,
            registry=self.registry,
        )
        self.stored = Counter(
            "threatlake_events_stored", "Events newly stored", labels, registry=self.registry
        )
        self.duplicates = Counter(
            "threatlake_events_duplicates", "Events already stored (re-sent)", labels, registry=self.registry
        )
        self.rejected = Counter(
            "threatlake_findings_rejected",
            "Findings rejected as malformed",
            ("connection",),
            registry=self.registry,
        )
        self.ingest_seconds = Histogram(
            "threatlake_ingest_duration_seconds",
            "Ingest request latency",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.query_seconds = Histogram(
            "threatlake_query_duration_seconds",
            "Query execution time",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "threatlake_writer_queue_batches", "Batches waiting for the writer", registry=self.registry
        )
        self.latest_lag = Gauge(
            "threatlake_latest_lag_seconds", "How far the latest table trails writes", registry=self.registry
        )
        self.requests = Counter(
            "threatlake_http_requests",
            "HTTP requests by status",
            ("method", "status"),
            registry=self.registry,
        )

    def count_received(self, events: list[Event], rejected: int, connection: str) -> None:
        for (provider, _), count in _by_label(events).items():
            self.received.labels(provider, connection).inc(count)
        if rejected:
            self.rejected.labels(connection).inc(rejected)

    def count_written(self, events: list[Event], result: WriteResult) -> None:
        """Called after each group write: the newly stored events (``result.new_ids``) and the others."""
        fresh = new_events(events, result)
        stored = _by_label(fresh)
        for label, count in _by_label(events).items():
            self.stored.labels(*label).inc(stored[label])
            if count > stored[label]:
                self.duplicates.labels(*label).inc(count - stored[label])


def _by_label(events: list[Event]) -> Tally[tuple[str, str]]:
    return Tally(
        (str(event.get("event.provider") or "unknown"), str(event.get("dt.ingest.connection") or ""))
        for event in events
    )


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    writer = services(request).writer
    if not writer.running:
        return JSONResponse({"status": "unavailable", "reason": "writer is not running"}, 503)
    return JSONResponse({"status": "ready", "writerQueueBatches": writer.depth})


async def metrics(request: Request) -> Response:
    found = services(request)
    if found.config.metrics_token_required:
        await run_in_threadpool(authorize, request, METRICS_SCOPE)
    found.metrics.queue_depth.set(found.writer.depth)
    found.metrics.latest_lag.set(getattr(found.store, "latest_lag", 0.0))  # a store without one has none
    return Response(generate_latest(found.metrics.registry), media_type=CONTENT_TYPE_LATEST)


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]


class AccessLog:
    """ASGI middleware: one JSON log line per request (method, path, status, latency, connection, counts)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state: dict[str, Any] = scope.get("state", {})
            self.metrics.requests.labels(scope["method"], str(status)).inc()
            if access_log.isEnabledFor(logging.INFO):
                line: dict[str, Any] = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2),
                }
                for key in ("connection", "accepted", "rejected", "events"):
                    if key in state:
                        line[key] = state[key]
                access_log.info("request", extra={"fields": line})


class JsonFormatter(logging.Formatter):
    """Log records as one JSON object per line: time, level, logger, message and any ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(line, default=str).decode()
        except orjson.JSONEncodeError:  # a lone surrogate quoted from a client's input
            return json.dumps(line, default=str)
