"""The one writer: a thread draining a bounded queue of event batches into the store, with group commit.

Request handlers ``await writer.write(events, rows)``; the call returns once the store's write that contains
those events has returned (committed, durable), so a 202 always means stored. ``rows`` are the events already
converted for the store (``threatlake.store.rows.prepare``, done in the request's worker thread or a map
worker): the writer thread, the one serialized resource, then only joins them and runs the database work
(events queued without rows are prepared here). When several requests wait, the writer joins their rows
(``combine``: the first request carrying an id keeps it) into one ``store.write_rows`` (one commit for all:
group commit) and answers each with its exact part.
A full queue is refused at once with ``OverloadedError`` (429 + ``Retry-After``) instead of buffering without
bound; a closed writer refuses with ``UnavailableError`` (503). ``close`` drains what was queued first.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from threatlake.errors import OverloadedError, StoreError, UnavailableError
from threatlake.model import Event
from threatlake.service.ingest import event_key
from threatlake.store import Store, WriteResult
from threatlake.store.protocol import Rows
from threatlake.store.rows import combine, prepare

__all__ = ["GROUP_EVENTS", "Writer"]

log = logging.getLogger("threatlake.writer")

#: Most events folded into one store write: large enough to amortize a commit, small enough to stay brief.
GROUP_EVENTS = 50_000


@dataclass(slots=True)
class _Job:
    events: list[Event]
    rows: Rows | None
    done: Future[WriteResult]


class Writer:
    """One thread that owns every write to ``store``."""

    def __init__(
        self,
        store: Store,
        max_batches: int,
        *,
        group_events: int = GROUP_EVENTS,
        on_write: Callable[[list[Event], WriteResult], None] | None = None,
    ) -> None:
        self._store = store
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=max_batches)
        self._group_events = group_events
        self._on_write = on_write
        self._open = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="threatlake-writer", daemon=True)

    @property
    def depth(self) -> int:
        """Batches waiting for the writer."""
        return self._queue.qsize()

    @property
    def running(self) -> bool:
        return self._open and self._thread.is_alive()

    def start(self) -> None:
        self._open = True
        self._thread.start()

    def submit(self, events: list[Event], rows: Rows | None = None) -> Future[WriteResult]:
        """Queue ``events`` (with their ``rows`` when prepared); the future resolves once they are stored.
        Refuses when full or closed."""
        done: Future[WriteResult] = Future()
        with self._lock:
            if not self.running:
                raise UnavailableError("The service is starting or stopping; retry shortly", retry_after=1)
            try:
                self._queue.put_nowait(_Job(events, rows, done))
            except queue.Full:
                raise OverloadedError(
                    "The store cannot keep up right now; retry after the delay in Retry-After", retry_after=1
                ) from None
        return done

    async def write(self, events: list[Event], rows: Rows | None = None) -> WriteResult:
        """Store ``events`` (``rows``: them prepared) durably: returns once the commit containing them has
        returned."""
        if not events:
            return WriteResult()
        return await asyncio.wrap_future(self.submit(events, rows))

    def close(self, timeout: float | None = None) -> None:
        """Refuse new batches, store every queued one, then stop the thread."""
        with self._lock:
            if not self._open:
                return
            self._open = False
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    # -- the writer thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            group = [first]
            size = len(first.events)
            while size < self._group_events:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                group.append(job)
                size += len(job.events)
            self._write(group)

    def _write(self, group: list[_Job]) -> None:
        events = group[0].events if len(group) == 1 else [e for job in group for e in job.events]
        try:
            rows = combine([job.rows if job.rows is not None else prepare(job.events) for job in group])
            result = self._store.write_rows(rows)
        except Exception as error:
            log.error("store write of %d events failed: %s", len(events), error)
            failure = error if isinstance(error, StoreError) else StoreError(f"write failed: {error}")
            for job in group:
                job.done.set_exception(failure)
            return
        if self._on_write is not None:
            try:
                self._on_write(events, result)
            except Exception:  # metrics must never fail a write
                log.exception("write callback failed")
        for job, part in zip(group, _split(group, result), strict=True):
            job.done.set_result(part)


def _split(group: list[_Job], result: WriteResult) -> list[WriteResult]:
    """Each request's exact part of a group write: a newly stored id counts as stored for the first request
    that carried it (in queue order); every other event of a request is a duplicate."""
    if len(group) == 1:
        return [result]
    unclaimed = set(result.new_ids)
    parts = []
    for job in group:
        mine = []
        for event in job.events:
            key = event_key(event)
            if key in unclaimed:
                unclaimed.discard(key)
                mine.append(key)
        parts.append(WriteResult(len(mine), len(job.events) - len(mine), frozenset(mine)))
    return parts
