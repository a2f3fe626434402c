"""``create_app(config, store, state)``: the Starlette app, its routes, services and error handlers.

The app owns the writer thread and the query thread pool (started and stopped by its lifespan); the caller
owns the store and the state repositories (``threatlake.state``), opens them before and closes them after.
Handlers reach their collaborators through ``services(request)`` (``web/services.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from threatlake.config import Config
from threatlake.errors import ThreatlakeError
from threatlake.model import Event
from threatlake.pipeline.registry import load_pipelines
from threatlake.service.counters import ConnectionCounters
from threatlake.state import State
from threatlake.store import Store, WriteResult
from threatlake.store.batch import BatchExecutor
from threatlake.web import errors, openapi, ops
from threatlake.web.api import buckets, connections, ingest, pipelines, query, tokens
from threatlake.web.jobs import QueryJobs
from threatlake.web.services import Services
from threatlake.web.writer import Writer

__all__ = ["create_app", "routes"]


async def _openapi(request: Request) -> Response:
    return Response(orjson.dumps(request.app.state.openapi), media_type="application/json")


def routes() -> list[BaseRoute]:
    return [
        *ingest.ROUTES,
        *query.ROUTES,
        *tokens.ROUTES,
        *connections.ROUTES,
        *pipelines.ROUTES,
        *buckets.ROUTES,
        Route("/platform/openapi.json", _openapi, methods=["GET"]),
        *ops.ROUTES,
    ]


def create_app(
    config: Config,
    store: Store,
    state: State,
    *,
    writer: Writer | None = None,
) -> Starlette:
    """The service. ``state.pipelines`` holds the user's pipelines (none: only the AWS mapping runs);
    an invalid stored definition stops the start with a ``PipelineError`` naming every problem."""
    metrics = ops.Metrics()
    batch_executor = BatchExecutor()
    counters = ConnectionCounters(state.connections)

    def on_write(events: list[Event], result: WriteResult) -> None:
        metrics.count_written(events, result)
        counters.count_written(events, result)

    the_writer = writer or Writer(store, config.writer_queue_batches, on_write=on_write)
    executor = ThreadPoolExecutor(max_workers=config.query_workers, thread_name_prefix="threatlake-query")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        the_writer.start()
        sweeping = asyncio.create_task(buckets.sweeper(store, config.retention_sweep_seconds))
        try:
            yield
        finally:
            sweeping.cancel()
            the_writer.close()
            counters.close()
            executor.shutdown(wait=False, cancel_futures=True)
            batch_executor.close()

    app = Starlette(
        routes=routes(),
        middleware=[Middleware(ops.AccessLog, metrics=metrics)],
        exception_handlers={
            ThreatlakeError: errors.handle_error,
            HTTPException: errors.handle_http,
            Exception: errors.handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.services = Services(
        config=config,
        store=store,
        state=state,
        writer=the_writer,
        jobs=QueryJobs(executor, ttl=config.result_ttl_seconds, timeout=config.query_timeout_seconds),
        metrics=metrics,
        counters=counters,
        batch_executor=batch_executor,
        query_executor=executor,
        pipelines=load_pipelines(state.pipelines.list()),
    )
    app.state.openapi = openapi.document()
    return app
