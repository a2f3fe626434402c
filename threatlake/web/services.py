"""The typed services object handlers reach through ``services(request)`` (not an ``app.state`` bag).

``create_app`` builds one ``Services`` per app and keeps it as ``app.state.services``; handlers never touch
``app.state`` otherwise. A new collaborator (a workflow engine, a query admission gate) is one field here,
set in ``create_app``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from threatlake.config import Config
from threatlake.pipeline.registry import Pipelines
from threatlake.service.counters import ConnectionCounters
from threatlake.service.ingest import Ingest
from threatlake.service.query import CompileCache
from threatlake.state import State
from threatlake.store import Store
from threatlake.store.batch import BatchExecutor
from threatlake.web.errors import plain_page
from threatlake.web.jobs import QueryJobs
from threatlake.web.writer import Writer

if TYPE_CHECKING:  # ops imports this module
    from threatlake.web.ops import Metrics
    from threatlake.workflows.hosting import WorkflowHost

__all__ = ["Services", "services"]


@dataclass(eq=False)
class Services:
    """What the service runs on: settings, the event store, the state repositories and the workers."""

    config: Config
    store: Store
    state: State
    writer: Writer
    jobs: QueryJobs
    metrics: Metrics
    counters: ConnectionCounters
    ingest: Ingest
    batch_executor: BatchExecutor
    #: the pipelines in force; replaced (not mutated) when a definition changes
    pipelines: Pipelines
    #: the OpenAPI document, serialized (generated from the endpoint table)
    openapi: bytes = b"{}"
    #: renders an error as an HTML page for a page request: (request, status, message) -> response
    error_page: Callable[[Request, int, str], Response] = field(default=plain_page)
    #: compiled queries kept by text, re-bound to each request's time (``threatlake.query.cache``)
    compile_cache: CompileCache = field(default_factory=lambda: CompileCache(0))
    #: the workflow engine, its background runs and its scheduler (``threatlake.workflows.hosting``)
    workflows: WorkflowHost | None = None


def services(request: HTTPConnection) -> Services:
    found: Services = request.app.state.services
    return found
