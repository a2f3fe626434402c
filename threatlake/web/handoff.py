"""Polling a query through any node: a query answered RUNNING is handed off through the shared state.

``QueryJobs`` keeps running queries and their results in the memory of the node that runs them. So that
``query:poll`` and ``query:cancel`` work through whichever node the load balancer picks, ``keep`` records a
query answered RUNNING in ``state.query_results`` and, when it ends, stores its final answer there (status
and JSON bytes, as the running node would send them). A node that does not know a request token answers
from that record (``remote_poll`` long-polls it), and a cancel through it marks the record cancelled, which
the running node honours at its next answer. See ``state/query_results.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from threatlake.errors import ResultGoneError, ThreatlakeError
from threatlake.state.query_results import Handoff, QueryResultRepository
from threatlake.web.errors import describe, error_response
from threatlake.web.jobs import Job, QueryJobs

__all__ = ["cancelled_elsewhere", "keep", "remote_cancel", "remote_poll"]

log = logging.getLogger("threatlake.web")

#: How often a node that does not run a query re-reads its record while long-polling.
POLL_INTERVAL = 0.2


def _answer(jobs: QueryJobs, job: Job) -> tuple[int, bytes]:
    """What ``poll`` would send for a finished ``job``: 200 and its result, or its error's shape."""
    try:
        return 200, jobs.response(job)
    except ThreatlakeError as error:
        status, message, details = describe(error)
        return status, bytes(error_response(status, message, details).body)
    except Exception:  # logged by the running node's own poll, if any; others get the plain 500
        return 500, bytes(error_response(500, "Internal error").body)


def keep(jobs: QueryJobs, results: QueryResultRepository, job: Job) -> None:
    """Record ``job`` (answered RUNNING) for every node, and its final answer when it ends (blocking)."""
    now = datetime.now(UTC)
    ttl = timedelta(seconds=jobs.lanes.ttl)
    try:
        results.running(job.token, job.owner, now + timedelta(seconds=jobs.lanes.timeout) + ttl, now)
    except ThreatlakeError as error:  # the state is down: this node still answers its own polls
        log.warning("query not shared", extra={"fields": {"error": error.message}})
        return

    def publish(_: object) -> None:
        status, body = _answer(jobs, job)
        try:
            if not results.finish(job.token, status, body, datetime.now(UTC) + ttl):
                with contextlib.suppress(ResultGoneError):
                    jobs.cancel(job.token)  # cancelled through another node meanwhile
        except ThreatlakeError as error:  # the state is down: this node can still answer its own polls
            log.warning("query result not shared", extra={"fields": {"error": error.message}})

    job.future.add_done_callback(publish)


def cancelled_elsewhere(results: QueryResultRepository, jobs: QueryJobs, job: Job) -> bool:
    """Whether a kept ``job`` was cancelled through another node (then it is forgotten here too)."""
    found = results.get(job.token, datetime.now(UTC))
    if found is None or found.state != "cancelled":
        return False
    with contextlib.suppress(ResultGoneError):
        jobs.cancel(job.token)
    return True


def _finished(found: Handoff) -> Response:
    if found.state == "cancelled":
        raise ResultGoneError.cancelled(found.token)
    return Response(found.body, found.status, media_type="application/json")


async def remote_poll(results: QueryResultRepository, token: str, wait: float) -> Response:
    """Answer a poll for a query another node runs, waiting up to ``wait`` seconds for it to end."""
    deadline = time.monotonic() + wait
    while True:
        found = await run_in_threadpool(results.get, token, datetime.now(UTC))
        if found is None:
            raise ResultGoneError.unknown(token)
        if found.state != "running":
            return _finished(found)
        if time.monotonic() >= deadline:
            body = {"state": "RUNNING", "requestToken": token, "progress": 0, "ttlSeconds": 0}
            return Response(orjson.dumps(body), 200, media_type="application/json")
        await asyncio.sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))


async def remote_cancel(results: QueryResultRepository, token: str) -> Response:
    """Cancel a query another node runs: 202, or its answer when it had finished (then it is forgotten)."""
    found = await run_in_threadpool(results.get, token, datetime.now(UTC))
    if found is None or found.state == "cancelled":
        raise ResultGoneError.unknown(token)
    await run_in_threadpool(results.cancel, token)
    if found.state == "finished":
        return _finished(found)
    return Response(status_code=202)
