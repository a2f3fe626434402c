"""The typed services object handlers reach through ``services(request)`` (not an ``app.state`` bag).

``create_app`` builds one ``Services`` per app and keeps it as ``app.state.services``; handlers never touch
``app.state`` otherwise. A new collaborator (a workflow engine, a query admission gate) is one field here,
set in ``create_app``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from threatlake.config import Config
from threatlake.pipeline.registry import Pipelines
from threatlake.service.counters import ConnectionCounters
from threatlake.service.ingest import Ingest
from threatlake.state import State
from threatlake.store import Store
from threatlake.store.batch import BatchExecutor
from threatlake.web.jobs import QueryJobs
from threatlake.web.writer import Writer

if TYPE_CHECKING:  # ops imports this module
    from threatlake.web.ops import Metrics

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


def services(request: HTTPConnection) -> Services:
    found: Services = request.app.state.services
    return found
