"""Ingest: decode → map → pipelines → write → connection counters → new-event hook, for every adapter.

``POST /platform/ingest/...``, ``threatlake ingest`` and ``threatlake backfill`` all go through here, so the
same findings give the same rows whichever way they came (apart from the ingest time and path):

* ``map_body`` unwraps and maps decoded documents (each bad part or finding becomes a located
  ``Rejection``; its neighbours go on) and ``Ingest.process`` runs the pipeline of the endpoint;
* the caller writes the events — the service through its group-commit writer (``web/writer.py``), the
  command line with ``Ingest.write`` — and after each durable write ``AfterWrite`` runs: the connection
  counters (every event written, duplicates included), the observers (metrics), and the new-event hooks
  with exactly the events newly stored (``WriteResult.new_ids``);
* ``ingest_inputs`` is the whole loop for files (``threatlake ingest``), writing large batches on a
  background thread while the next ones are mapped.

A new-event hook (suppression rules, a workflow's event trigger) is registered once in ``NEW_EVENT_HOOKS``:
every ingest path builds its ``AfterWrite`` from that list, so no path can forget it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, ParamSpec, TypeVar

from threatlake.errors import SourceError
from threatlake.model import Event, event_id
from threatlake.pipeline.mapping import Batch, IngestContext, Rejection, map_findings, map_stream
from threatlake.pipeline.processors import CompiledPipeline
from threatlake.pipeline.registry import Pipelines, load_pipelines
from threatlake.service.counters import ConnectionCounters
from threatlake.service.triage import suppression_hook
from threatlake.sources import Finding
from threatlake.sources.envelope import unwrap
from threatlake.state import State
from threatlake.store import Store, WriteResult
from threatlake.store.batch import BatchExecutor

__all__ = [
    "BATCH_SIZE",
    "NEW_EVENT_HOOKS",
    "AfterWrite",
    "Ingest",
    "IngestSummary",
    "MapWorkers",
    "NewEventHook",
    "Processed",
    "WriteObserver",
    "event_key",
    "ingest_inputs",
    "local_ingest",
    "map_body",
    "new_events",
]

log = logging.getLogger("threatlake.ingest")

#: Events handed to the store per write by the command line: large batches amortize the durable commit.
BATCH_SIZE = 50_000

#: Called after a durable write with the events it wrote and its result (metrics, counters).
WriteObserver = Callable[[list[Event], WriteResult], None]
#: Called after a durable write with exactly the events that write newly stored.
NewEventHook = Callable[[list[Event]], None]
#: Makers of the new-event hooks every ingest path runs: each gets the state and the store written to and
#: returns a hook (or None); a hook with a ``close()`` is closed when its ingest ends. A feature that reacts
#: to new events adds its maker here (``threatlake.workflows.hosting`` adds the event triggers'). The
#: suppression rules come first, so the workflows a new event triggers see its rule's triage status.
NEW_EVENT_HOOKS: list[Callable[[State, Store], NewEventHook | None]] = [suppression_hook]


def event_key(event: Event) -> str:
    """The id a store keeps ``event`` under (the model's deterministic one when it carries none)."""
    return str(event.get("event.id") or event_id(event))


def new_events(events: Sequence[Event], result: WriteResult) -> list[Event]:
    """The events of a write that it newly stored: the first event carrying each id in ``new_ids``."""
    if not result.new_ids:
        return []
    unclaimed = set(result.new_ids)
    fresh = []
    for event in events:
        key = event_key(event)
        if key in unclaimed:
            unclaimed.discard(key)
            fresh.append(event)
    return fresh


class AfterWrite:
    """What runs after each durable write; never raises (a hook must not fail an acknowledged write)."""

    def __init__(
        self,
        counters: ConnectionCounters | None = None,
        observers: Sequence[WriteObserver] = (),
        hooks: Sequence[NewEventHook] = (),
    ) -> None:
        self.counters = counters
        self._observers = list(observers)
        self._hooks = list(hooks)

    @classmethod
    def for_state(
        cls,
        state: State,
        counters: ConnectionCounters | None,
        observers: Sequence[WriteObserver] = (),
        *,
        store: Store | None = None,
    ) -> AfterWrite:
        """The counters and observers given, and every registered new-event hook built on ``state`` and
        ``store`` (none without a store)."""
        made = [make(state, store) for make in NEW_EVENT_HOOKS] if store is not None else []
        hooks = [hook for hook in made if hook is not None]
        return cls(counters, observers, hooks)

    def __call__(self, events: list[Event], result: WriteResult) -> None:
        calls: list[Callable[[], None]] = []
        if self.counters is not None:
            calls.append(partial(self.counters.count_written, events, result))
        calls.extend(partial(observer, events, result) for observer in self._observers)
        if self._hooks and result.new_ids:
            fresh = new_events(events, result)
            calls.extend(partial(hook, fresh) for hook in self._hooks)
        for call in calls:
            try:
                call()
            except Exception:
                log.exception("an after-write hook failed; the write itself succeeded")

    def close(self) -> None:
        """Write the pending counters and close the hooks that can be (after the last write)."""
        if self.counters is not None:
            self.counters.close()
        for hook in self._hooks:
            close = getattr(hook, "close", None)
            if callable(close):
                close()


def map_body(
    documents: Iterable[tuple[str, Any]], rejections: Iterable[Rejection], ctx: IngestContext
) -> tuple[Batch, int]:
    """Unwrap and map decoded documents (location, JSON value); undecodable parts (``rejections``) and bad
    findings become rejections. Returns the batch and how many findings were accepted (mapped cleanly)."""
    findings: list[Finding] = []
    found = list(rejections)
    for location, document in documents:
        for item in unwrap(document, location):
            if isinstance(item, SourceError):
                found.append(Rejection(item.location, item.reason))
            else:
                findings.append(item)
    batch = map_findings(findings, ctx)
    accepted = batch.findings - len(batch.rejections)
    batch.rejections[:0] = found
    return batch, accepted


@dataclass(frozen=True, slots=True)
class Processed:
    """Events after the pipeline, and how many it dropped."""

    events: list[Event]
    dropped: int = 0


_P = ParamSpec("_P")
_T = TypeVar("_T")
_PARENT_POLL_SECONDS = 1.0


class MapWorkers:
    """Worker processes that decode and map request bodies (``map_workers``) outside the service's GIL.

    Only pure work goes there (bytes in, a mapped ``Batch`` out): the pipelines, the single writer and the
    acknowledgement after its commit stay in the service. Workers are spawned (never forked from a process
    running DuckDB's threads), keep the service's collector thresholds, and exit when the service is gone
    (a ``kill -9`` leaves no orphan mapping). A pool broken by a dead worker is replaced, and the work is
    done in the calling thread meanwhile, so a crash costs no request.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_started,
            initargs=(os.getpid(), gc.get_threshold()),
        )

    def run(self, work: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        """``work(*args)`` in a worker (``work`` and its arguments picklable); its result or its error."""
        with self._lock:
            pool = self._pool
        done: Future[_T] = Future()
        try:
            running = pool.submit(_carried, work, *args, **kwargs)  # type: ignore[arg-type]
        except BrokenProcessPool:
            self._replace(pool)
            try:
                done.set_result(work(*args, **kwargs))
            except Exception as error:
                done.set_exception(error)
            return done
        running.add_done_callback(lambda ran: self._settle(done, ran, pool, lambda: work(*args, **kwargs)))
        return done

    def _settle(
        self, done: Future[_T], ran: Future[_T], pool: ProcessPoolExecutor, again: Callable[[], _T]
    ) -> None:
        error = ran.exception()
        if error is None:
            done.set_result(ran.result())
            return
        if isinstance(error, BrokenProcessPool):  # the worker died under this work: done here instead
            self._replace(pool)
            try:
                done.set_result(again())
            except Exception as failed:
                done.set_exception(failed)
            return
        done.set_exception(error.rebuilt() if isinstance(error, _Carried) else error)

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                log.error("a map worker died; the pool is replaced")
                self._pool = self._start()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _worker_started(parent: int, thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(*thresholds)
    threading.Thread(target=_exit_with, args=(parent,), name="threatlake-parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(0)


def _carried(work: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """``work``'s result; its error rebuilt with its attributes in the service (an error whose constructor
    differs from its ``args`` would not unpickle as raised)."""
    try:
        return work(*args, **kwargs)
    except Exception as error:
        raise _Carried(type(error), error.args, vars(error)) from None


class _Carried(Exception):
    def __init__(self, kind: type[Exception], args: tuple[Any, ...], state: dict[str, Any]) -> None:
        super().__init__(kind, args, state)

    def rebuilt(self) -> Exception:
        kind, args, state = self.args
        error: Exception = kind.__new__(kind)
        Exception.__init__(error, *args)
        vars(error).update(state)
        return error


class Ingest:
    """The ingest operations on one store, with the pipelines in force and what runs after each write.

    ``map_workers`` > 0 starts that many worker processes (``MapWorkers``) for the adapters' decode + map.
    """

    def __init__(
        self,
        store: Store,
        pipelines: Callable[[], Pipelines],
        executor: BatchExecutor,
        after_write: AfterWrite,
        *,
        map_workers: int = 0,
    ) -> None:
        self.store = store
        self._pipelines = pipelines
        self._executor = executor
        self.after_write = after_write
        self.mappers = MapWorkers(map_workers) if map_workers > 0 else None

    def close(self) -> None:
        """Stop the map workers (the service's shutdown)."""
        if self.mappers is not None:
            self.mappers.close()

    def pipeline(self, endpoint: str | None = None) -> CompiledPipeline:
        return self._pipelines().for_endpoint(endpoint)

    def process(self, batch: Batch, now: datetime, endpoint: str | None = None) -> Processed:
        """Run the endpoint's pipeline over a mapped batch (blocking: call it off the event loop)."""
        if not batch.events:
            return Processed([])
        processed = self.pipeline(endpoint).apply(batch.events, self._executor, now=now)
        return Processed(processed.events, processed.dropped)

    def write(self, events: list[Event]) -> WriteResult:
        """Store ``events`` durably, then run the after-write hooks (the command line's path)."""
        if not events:
            return WriteResult()
        result = self.store.write(events)
        self.after_write(events, result)
        return result


@dataclass(slots=True)
class IngestSummary:
    """Counts of one run over files or API pages (``threatlake ingest``, ``backfill``)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dropped: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def add(self, batch: Batch, processed: Processed) -> None:
        self.received += batch.findings
        self.rejections.extend(batch.rejections)
        self.dropped += processed.dropped

    def count(self, result: WriteResult) -> None:
        self.stored += result.stored
        self.duplicates += result.duplicates

    def as_dict(self) -> dict[str, object]:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": len(self.rejections),
            "errors": [str(rejection) for rejection in self.rejections],
        }


@contextlib.contextmanager
def local_ingest(store: Store, state: State, *, connection: str | None, now: datetime) -> Iterator[Ingest]:
    """Ingest straight into ``store`` (the command line's path): the pipelines stored in ``state``, the
    connection counters of ``connection`` (made when missing) and every registered new-event hook. The
    counters are written when the block ends."""
    if connection is not None:
        state.connections.ensure(connection, now=now)
    pipelines = load_pipelines(state.pipelines.list())
    executor = BatchExecutor()
    ingest = Ingest(
        store,
        lambda: pipelines,
        executor,
        AfterWrite.for_state(state, ConnectionCounters(state.connections), store=store),
    )
    try:
        yield ingest
    finally:
        ingest.after_write.close()
        executor.close()


def ingest_inputs(
    ingest: Ingest,
    inputs: Iterator[tuple[str, bytes | Iterable[bytes]]],
    ctx: IngestContext,
    batch_size: int = BATCH_SIZE,
) -> IngestSummary:
    """Map every input, run the built-in pipeline, and write the events in batches of about ``batch_size``.

    An input is its bytes or its chunks as read (a file): NDJSON is mapped a part at a time
    (``map_stream``), so memory is flat in the input's size. One batch is written on a background thread
    while the next is mapped (the store's commit releases the GIL), and at most one batch waits: memory
    stays bounded and a write error stops the run.
    """
    summary = IngestSummary()
    pending: list[Event] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="threatlake-writer") as writer:
        writing: Future[WriteResult] | None = None
        for name, data in inputs:
            for batch in map_stream([data] if isinstance(data, bytes) else data, ctx, name):
                processed = ingest.process(batch, ctx.received_at)
                summary.add(batch, processed)
                pending.extend(processed.events)
                if len(pending) >= batch_size:
                    if writing is not None:
                        summary.count(writing.result())
                    writing, pending = writer.submit(ingest.write, pending), []
        if writing is not None:
            summary.count(writing.result())
    if pending:
        summary.count(ingest.write(pending))
    return summary
