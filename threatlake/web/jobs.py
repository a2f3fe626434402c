"""Query jobs: fair, bounded execution of queries and a bounded registry of their results.

Execution has two lanes, so long queries cannot starve short ones. Every query starts in the *fast lane*
(a few threads of its own) with an engine timeout of ``fast_seconds``; most queries finish there. A query
the engine stops at that budget moves to the *slow lane* (``workers`` threads) with the rest of its time. A
dashboard's trivial tiles therefore answer in milliseconds while four heavy joins hold the slow lane. At
most ``max_pending`` queries run or wait in all, at most ``per_owner`` for one token; past either bound a
query is refused with 429 before it is compiled.

Results are serialized to JSON on the worker thread (never on the event loop) and kept as bytes. A result
returned inline by ``execute`` is released at once; a result kept for polling expires ``ttl`` seconds after
it finished, and the kept results are bounded by ``max_kept_bytes``, the oldest evicted first. Kept results
never cause a new query to be refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, InvalidStateError, ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson

from threatlake.errors import OverloadedError, QueryTimeoutError, ResultGoneError
from threatlake.store import Interrupt

__all__ = ["Job", "Lanes", "QueryJobs"]

#: ``run(timeout, interrupt)`` executes the query with an engine timeout (``interrupt`` stops the engine
#: when the job is cancelled) and returns the serialized ``result``.
Run = Callable[[float, Interrupt], bytes]


@dataclass(frozen=True, slots=True)
class Lanes:
    workers: int
    fast_workers: int
    fast_seconds: float
    timeout: float
    ttl: float
    max_pending: int
    per_owner: int
    max_kept_bytes: int


@dataclass(slots=True)
class Job:
    token: str
    owner: str
    future: Future[bytes]
    started: float
    deadline: float
    finished: float | None = field(default=None)
    interrupt: Interrupt = field(default_factory=Interrupt)

    def done(self) -> bool:
        return self.future.done()


def _settle(future: Future[bytes], result: bytes | None = None, error: BaseException | None = None) -> None:
    with contextlib.suppress(InvalidStateError):  # cancelled, or already failed at its deadline
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or b"null")


class QueryJobs:
    """Running and finished queries by request token (see the module docstring)."""

    def __init__(self, lanes: Lanes, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.lanes = lanes
        self._clock = clock
        self._fast = ThreadPoolExecutor(lanes.fast_workers, thread_name_prefix="threatlake-query-fast")
        self._slow = ThreadPoolExecutor(lanes.workers, thread_name_prefix="threatlake-query")
        self._fast_waiting = 0
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # insertion order: oldest first

    def __len__(self) -> int:
        return len(self._jobs)

    def close(self) -> None:
        for pool in (self._fast, self._slow):
            pool.shutdown(wait=False, cancel_futures=True)

    # -- running -------------------------------------------------------------------------------------------

    def admit(self, owner: str) -> None:
        """Refuse (429) a query from ``owner`` when the service or the owner has too many in progress."""
        self.sweep()
        active = [job for job in self._jobs.values() if not job.done()]
        lanes = self.lanes
        if len(active) >= lanes.max_pending:
            raise OverloadedError(
                f"{len(active)} queries are running or waiting (limit {lanes.max_pending}); retry later"
            )
        mine = sum(1 for job in active if job.owner == owner)
        if mine >= lanes.per_owner:
            raise OverloadedError(
                f"This token has {mine} queries running or waiting (limit {lanes.per_owner}); "
                "wait for them or cancel some"
            )

    def start(self, run: Run, owner: str) -> Job:
        self.admit(owner)
        now = self._clock()
        job = Job(secrets.token_urlsafe(24), owner, Future(), now, now + self.lanes.timeout)
        job.future.add_done_callback(lambda _: self._finish(job))
        self._jobs[job.token] = job
        with self._lock:
            crowded = self._fast_waiting >= 4 * self.lanes.fast_workers
            if not crowded:
                self._fast_waiting += 1
        if crowded:  # the fast lane has a queue of its own: waiting there would not be fast
            self._slow.submit(self._attempt, job, run, fast=False)
        else:
            self._fast.submit(self._attempt, job, run, fast=True)
        return job

    def _attempt(self, job: Job, run: Run, *, fast: bool) -> None:
        if fast:
            with self._lock:
                self._fast_waiting -= 1
        if job.future.done():
            return
        remaining = job.deadline - self._clock()
        if remaining <= 0:
            _settle(job.future, error=self._timeout_error())
            return
        budget = min(remaining, self.lanes.fast_seconds) if fast else remaining
        try:
            result = run(budget, job.interrupt)
        except QueryTimeoutError:
            if fast and budget < remaining:
                self._slow.submit(self._attempt, job, run, fast=False)
            else:
                _settle(job.future, error=self._timeout_error())
        except BaseException as error:
            _settle(job.future, error=error)
        else:
            _settle(job.future, result)

    def _timeout_error(self) -> QueryTimeoutError:
        return QueryTimeoutError(
            f"The query did not finish within the timeout of {self.lanes.timeout:g} seconds "
            "(query_timeout_seconds): narrow its timeframe or filter earlier"
        )

    def _finish(self, job: Job) -> None:
        if job.finished is None:
            job.finished = self._clock()

    # -- the registry --------------------------------------------------------------------------------------

    def get(self, token: str) -> Job:
        self.sweep()
        job = self._jobs.get(token)
        if job is None:
            raise ResultGoneError.unknown(token)
        return job

    async def wait(self, job: Job, seconds: float) -> None:
        """Wait up to ``seconds`` (and never past the job's deadline) for ``job`` to finish."""
        if job.done():
            return
        budget = max(0.0, min(seconds, job.deadline - self._clock()))
        waiting = asyncio.wrap_future(job.future)
        waiting.add_done_callback(_retrieve)
        with contextlib.suppress(Exception):  # timed out, or failed: the response reports it
            await asyncio.wait_for(asyncio.shield(waiting), budget)
        if not job.done() and self._clock() >= job.deadline:
            _settle(job.future, error=self._timeout_error())  # the engine stops it on its own deadline

    def release(self, job: Job) -> None:
        """Forget a finished job whose result was answered inline."""
        if job.done():
            self._jobs.pop(job.token, None)

    def cancel(self, token: str) -> Job:
        """Forget the job; returns it (a finished job's result can still be answered once)."""
        job = self.get(token)
        job.future.cancel()
        job.interrupt.stop()  # the engine stops too, freeing its thread (where the store can)
        self._jobs.pop(token, None)
        return job

    def sweep(self) -> None:
        now = self._clock()
        kept = 0
        for token, job in reversed(list(self._jobs.items())):  # newest first: the oldest go over the bound
            if not job.done() and now >= job.deadline:
                _settle(job.future, error=self._timeout_error())
            if job.finished is None:
                continue
            kept += _size(job)
            if now - job.finished > self.lanes.ttl or kept > self.lanes.max_kept_bytes:
                del self._jobs[token]

    def response(self, job: Job) -> bytes:
        """The API's answer for ``job`` as JSON: RUNNING with progress, SUCCEEDED with the result, or the
        job's error raised."""
        head: dict[str, object] = {"requestToken": job.token}
        if not job.done():
            elapsed = self._clock() - job.started
            progress = min(99, int(100 * elapsed / max(self.lanes.timeout, 0.001)))
            return orjson.dumps({"state": "RUNNING", **head, "progress": progress, "ttlSeconds": 0})
        try:
            result = job.future.result(timeout=0)
        except CancelledError:
            raise ResultGoneError.cancelled(job.token) from None
        envelope = orjson.dumps(
            {"state": "SUCCEEDED", **head, "progress": 100, "ttlSeconds": int(self.lanes.ttl)}
        )
        return envelope[:-1] + b',"result":' + result + b"}"


def _retrieve(waiting: asyncio.Future[bytes]) -> None:
    """The job's error is answered from its own future; this copy's need not be reported as unretrieved."""
    if not waiting.cancelled():
        waiting.exception()


def _size(job: Job) -> int:
    if job.future.cancelled() or job.future.exception(timeout=0) is not None:
        return 0
    return len(job.future.result(timeout=0))
