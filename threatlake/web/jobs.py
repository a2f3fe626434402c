"""Query jobs: a small in-memory registry of running and finished queries, polled by request token.

A job runs on the query thread pool (never on the event loop). A finished job's result is kept for
``ttl`` seconds after it finished, then it is gone (polling answers RESULT_GONE). A job still running after
``timeout`` seconds is failed: the caller stops waiting for it and its thread's result is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from threatlake.errors import QueryError, ResultGoneError, UnavailableError

__all__ = ["Job", "QueryJobs"]

Result = dict[str, Any]


@dataclass(slots=True)
class Job:
    token: str
    future: Future[Result]
    started: float
    deadline: float
    finished: float | None = field(default=None)

    def done(self) -> bool:
        return self.future.done()


class QueryJobs:
    """Running and finished queries by request token."""

    def __init__(
        self,
        executor: Executor,
        *,
        ttl: float,
        timeout: float,
        max_jobs: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._executor = executor
        self._ttl = ttl
        self._timeout = timeout
        self._max_jobs = max_jobs
        self._clock = clock
        self._jobs: dict[str, Job] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def start(self, run: Callable[[], Result]) -> Job:
        self.sweep()
        if len(self._jobs) >= self._max_jobs:
            raise UnavailableError("Too many queries are kept; poll or cancel some first", retry_after=5)
        now = self._clock()
        job = Job(secrets.token_urlsafe(24), self._executor.submit(run), now, now + self._timeout)
        job.future.add_done_callback(lambda _: self._finish(job))
        self._jobs[job.token] = job
        return job

    def _finish(self, job: Job) -> None:
        if job.finished is None:
            job.finished = self._clock()

    def get(self, token: str) -> Job:
        self.sweep()
        job = self._jobs.get(token)
        if job is None:
            raise ResultGoneError(
                "No query with this request token: it expired, was cancelled or never existed",
                {"requestToken": token[:64]},
            )
        return job

    async def wait(self, job: Job, seconds: float) -> None:
        """Wait up to ``seconds`` (and never past the job's deadline) for ``job`` to finish."""
        if job.done():
            return
        budget = max(0.0, min(seconds, job.deadline - self._clock()))
        with contextlib.suppress(Exception):  # timed out, or failed: the response reports it
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.future)), budget)
        if not job.done() and self._clock() >= job.deadline:
            self._expire(job)

    def _expire(self, job: Job) -> None:
        if not job.future.cancel() and not job.done():
            # already running: the thread runs on, the job fails now and its result is dropped
            failed: Future[Result] = Future()
            failed.set_exception(
                QueryError(f"The query did not finish within the timeout of {self._timeout:g} seconds")
            )
            job.future = failed
        self._finish(job)

    def cancel(self, token: str) -> Job:
        """Forget the job; returns it (a finished job's result can still be answered once)."""
        job = self.get(token)
        job.future.cancel()
        self._jobs.pop(token, None)
        return job

    def sweep(self) -> None:
        now = self._clock()
        for token, job in list(self._jobs.items()):
            if not job.done() and now >= job.deadline:
                self._expire(job)
            if job.finished is not None and now - job.finished > self._ttl:
                del self._jobs[token]

    def response(self, job: Job) -> Result:
        """The API's answer for ``job``: RUNNING with progress, SUCCEEDED with the result, or the error."""
        if not job.done():
            elapsed = self._clock() - job.started
            progress = min(99, int(100 * elapsed / max(self._timeout, 0.001)))
            return {"state": "RUNNING", "requestToken": job.token, "progress": progress, "ttlSeconds": 0}
        try:
            result = job.future.result(timeout=0)
        except (CancelledError, FutureTimeout):
            raise ResultGoneError("The query was cancelled", {"requestToken": job.token}) from None
        return {
            "state": "SUCCEEDED",
            "requestToken": job.token,
            "progress": 100,
            "ttlSeconds": int(self._ttl),
            "result": result,
        }
