"""``create_app(config, store, settings)``: the Starlette app, its routes, state and error handlers.

The app owns the writer thread and the query thread pool (started and stopped by its lifespan); the caller
owns the store and the settings database, opens them before and closes them after.
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
from threatlake.store import Store, WriteResult
from threatlake.store.batch import BatchExecutor
from threatlake.store.pipelines import MemoryPipelines, PipelineRepository
from threatlake.store.settings import Settings
from threatlake.web import errors, openapi, ops, views
from threatlake.web.api import buckets, connections, documents, ingest, pipelines, query, tokens
from threatlake.web.jobs import QueryJobs
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
        *documents.ROUTES,
        Route("/platform/openapi.json", _openapi, methods=["GET"]),
        *ops.ROUTES,
        *views.ROUTES,
    ]


def create_app(
    config: Config,
    store: Store,
    settings: Settings,
    *,
    pipeline_repository: PipelineRepository | None = None,
    writer: Writer | None = None,
) -> Starlette:
    """The service. ``pipeline_repository`` holds the user's pipelines (none: only the AWS mapping runs);
    an invalid stored definition stops the start with a ``PipelineError`` naming every problem."""
    metrics = ops.Metrics()
    repository = pipeline_repository if pipeline_repository is not None else MemoryPipelines()
    batch_executor = BatchExecutor()
    counters = connections.ConnectionCounters(settings)

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
    app.state.config = config
    app.state.store = store
    app.state.settings = settings
    app.state.pipeline_repository = repository
    app.state.pipelines = load_pipelines(repository.list())
    app.state.batch_executor = batch_executor
    app.state.writer = the_writer
    app.state.counters = counters
    app.state.metrics = metrics
    app.state.jobs = QueryJobs(executor, ttl=config.result_ttl_seconds, timeout=config.query_timeout_seconds)
    app.state.openapi = openapi.document()
    return app
