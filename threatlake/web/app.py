"""``create_app(config, store, state)``: the Starlette app, its routes, services and error handlers.

The app owns the writer thread and the query thread pool (started and stopped by its lifespan); the caller
owns the store and the state repositories (``threatlake.state``), opens them before and closes them after.
Handlers reach their collaborators through ``services(request)`` (``web/services.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from threatlake.config import Config
from threatlake.errors import ThreatlakeError
from threatlake.pipeline.registry import load_pipelines
from threatlake.service import triage
from threatlake.service.counters import ConnectionCounters
from threatlake.service.ingest import AfterWrite, Ingest
from threatlake.state import State
from threatlake.store import Store
from threatlake.store.batch import BatchExecutor
from threatlake.web import endpoints, errors, openapi, ops, views
from threatlake.web.admission import Admission, AdmissionLimits
from threatlake.web.api import buckets, pipelines
from threatlake.web.jobs import Lanes, QueryJobs
from threatlake.web.principal import PrincipalMiddleware
from threatlake.web.services import Services
from threatlake.web.writer import Writer
from threatlake.workflows.hosting import WorkflowHost

__all__ = ["PAGES", "create_app", "routes"]


#: The web pages' routes (``threatlake.web.views``), mounted after the API's: the one place pages are added.
PAGES: list[BaseRoute] = [*views.ROUTES]


def routes() -> list[BaseRoute]:
    """The API's routes (from the endpoint table, scope checks included), then the pages'."""
    return [*endpoints.routes(), *PAGES]


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
    after_write = AfterWrite.for_state(state, counters, observers=[metrics.count_written], store=store)
    host = WorkflowHost.for_service(state, store, config)
    the_writer = writer or Writer(store, config.writer_queue_batches, on_write=after_write)
    jobs = QueryJobs(
        Lanes(
            workers=config.query_workers,
            fast_workers=config.fast_query_workers,
            fast_seconds=config.fast_query_seconds,
            timeout=config.query_timeout_seconds,
            ttl=config.result_ttl_seconds,
            max_pending=config.max_pending_queries,
            per_owner=config.max_queries_per_token,
            max_kept_bytes=config.kept_result_bytes,
        )
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        the_writer.start()
        await asyncio.to_thread(triage.sync, state, store)  # the store's triage mirror, from the state
        sweeping = asyncio.create_task(buckets.sweeper(store, config.retention_sweep_seconds))
        refreshing = asyncio.create_task(pipelines.refresher(found))
        host.start()
        try:
            yield
        finally:
            sweeping.cancel()
            refreshing.cancel()
            await host.stop()
            the_writer.close()
            after_write.close()  # the counters, and the event triggers' queued runs
            jobs.close()
            batch_executor.close()
            found.ingest.close()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(ops.AccessLog, metrics=metrics),
            Middleware(
                Admission,
                limits=AdmissionLimits(
                    max_ingest_requests=config.max_ingest_requests,
                    max_inflight_bytes=config.max_inflight_bytes,
                    body_timeout=config.body_timeout_seconds,
                    drain_bytes=config.drain_bytes,
                ),
                queue_pressure=lambda: (the_writer.depth, config.writer_queue_batches),
            ),
            Middleware(PrincipalMiddleware),
        ],
        exception_handlers={
            ThreatlakeError: errors.handle_error,
            HTTPException: errors.handle_http,
            Exception: errors.handle_unexpected,
        },
        lifespan=lifespan,
    )
    found = Services(
        config=config,
        store=store,
        state=state,
        writer=the_writer,
        jobs=jobs,
        metrics=metrics,
        counters=counters,
        ingest=Ingest(
            store, lambda: found.pipelines, batch_executor, after_write, map_workers=config.map_workers
        ),
        batch_executor=batch_executor,
        pipelines=load_pipelines(state.pipelines.list()),
        openapi=orjson.dumps(openapi.document(endpoints.ENDPOINTS)),
        workflows=host,
    )
    app.state.services = found
    return app
