"""Query: ``/platform/storage/query/v1/query:execute|poll|cancel|verify``.

``execute`` compiles the DQL (errors come back at once as 400 with line and column), starts a job on the
query thread pool and waits up to ``requestTimeoutMilliseconds`` for it: SUCCEEDED with the result, else
RUNNING with a request token to ``poll`` (long polling) or ``cancel``. Results are kept
``result_ttl_seconds``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from threatlake.errors import QueryError, RequestError, ResultGoneError
from threatlake.model import parse_timestamp
from threatlake.query import verify
from threatlake.service import query as queries
from threatlake.service.query import QueryRequest
from threatlake.store import Interrupt
from threatlake.web import handoff
from threatlake.web.body import read_json_object
from threatlake.web.openapi import OBJECT, Operation, Schema, json_body
from threatlake.web.principal import caller
from threatlake.web.results import serialize_result
from threatlake.web.services import services

__all__ = [
    "BASE",
    "CANCEL",
    "DEFAULT_REQUEST_TIMEOUT_MS",
    "EXECUTE",
    "POLL",
    "SCOPE",
    "VERIFY",
    "cancel",
    "execute",
    "poll",
    "verify_query",
]

SCOPE = queries.QUERY_SCOPES  # any of them; ``execute`` checks each data object's
BASE = "/platform/storage/query/v1"
DEFAULT_REQUEST_TIMEOUT_MS = 10_000
_MAX_QUERY_BODY = 1024 * 1024


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _raw(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type="application/json")


def _string(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise RequestError(f"'{name}' must be a {'non-empty ' if required else ''}string", {"field": name})
    return value


def _integer(value: Any, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestError(f"'{name}' must be a whole number of at least 0", {"field": name})
    return value


def _time(body: dict[str, Any], name: str) -> datetime | None:
    text = _string(body, name)
    if text is None:
        return None
    parsed = parse_timestamp(text)
    if parsed is None:
        raise RequestError(f"'{name}' must be an ISO 8601 time, got {text[:40]!r}", {"field": name})
    return parsed


async def execute(request: Request) -> Response:
    token = caller(request)
    found = services(request)
    config = found.config
    jobs = found.jobs
    jobs.admit(token.key)  # before any work: a busy service or token is told so at once
    body = await read_json_object(request, _MAX_QUERY_BODY)
    text = _string(body, "query", required=True) or ""
    start, end = _time(body, "defaultTimeframeStart"), _time(body, "defaultTimeframeEnd")
    _string(body, "timezone")  # accepted; results are always in UTC
    records = min(
        _integer(body.get("maxResultRecords"), "maxResultRecords", config.max_result_records),
        config.result_records_limit,
    )
    max_bytes = min(
        _integer(body.get("maxResultBytes"), "maxResultBytes", config.max_result_bytes),
        config.result_bytes_limit,
    )
    wait_ms = _integer(
        body.get("requestTimeoutMilliseconds"), "requestTimeoutMilliseconds", DEFAULT_REQUEST_TIMEOUT_MS
    )
    store = found.store
    ask = QueryRequest(text, datetime.now(UTC), start, end, records)
    compiled = await run_in_threadpool(queries.compile, store, ask, found.compile_cache)
    queries.authorize(compiled, token.scopes)  # the scope of each data object fetched
    metrics = found.metrics

    def run(timeout: float, interrupt: Interrupt) -> bytes:
        table, elapsed = queries.fetch(store, compiled, timeout=timeout, interrupt=interrupt)
        metrics.query_seconds.observe(elapsed)
        return serialize_result(compiled, table, max_bytes=max_bytes, execution_ms=int(elapsed * 1000))

    job = jobs.start(run, token.key)
    await jobs.wait(job, wait_ms / 1000)
    if not job.done():  # answered RUNNING: any node may be polled for it
        await run_in_threadpool(handoff.keep, jobs, found.state.query_results, job)
    answer = jobs.response(job)
    jobs.release(job)  # answered inline: nothing to keep
    return _raw(answer, 202)


def _token(request: Request) -> str:
    token = request.query_params.get("request-token")
    if not token:
        raise RequestError("Missing query parameter 'request-token'", {"field": "request-token"})
    return token


async def poll(request: Request) -> Response:
    found = services(request)
    jobs, results = found.jobs, found.state.query_results
    token = _token(request)
    wait_ms = _integer(
        request.query_params.get("request-timeout-milliseconds"), "request-timeout-milliseconds", 0
    )
    wait = min(wait_ms, 60_000) / 1000
    try:
        job = jobs.get(token)
    except ResultGoneError:  # not run here: perhaps by another node of the service
        return await handoff.remote_poll(results, token, wait)
    await jobs.wait(job, wait)
    if await run_in_threadpool(handoff.cancelled_elsewhere, results, jobs, job):
        raise ResultGoneError.cancelled(token)
    return _raw(jobs.response(job))


async def cancel(request: Request) -> Response:
    found = services(request)
    jobs, token = found.jobs, _token(request)
    try:
        job = jobs.cancel(token)
    except ResultGoneError:  # not run here: perhaps by another node of the service
        return await handoff.remote_cancel(found.state.query_results, token)
    await run_in_threadpool(found.state.query_results.cancel, token)  # for the record other nodes read
    if job.done() and not job.future.cancelled():
        return _raw(jobs.response(job))
    return Response(status_code=202)


def _notification(error: QueryError) -> dict[str, Any]:
    position = {"line": error.line, "column": error.column}
    return {
        "severity": "ERROR",
        "notificationType": "SYNTAX_ERROR",
        "message": error.message,
        "syntaxPosition": {"start": position, "end": position},
    }


async def verify_query(request: Request) -> Response:
    body = await read_json_object(request, _MAX_QUERY_BODY)
    text = _string(body, "query", required=True) or ""
    errors = await run_in_threadpool(partial(verify, text, dialect=services(request).store.dialect))
    return _json({"valid": not errors, "notifications": [_notification(error) for error in errors]})


_STATE: Schema = {
    "type": "object",
    "required": ["state", "progress"],
    "properties": {
        "state": {"type": "string", "enum": ["RUNNING", "SUCCEEDED"]},
        "requestToken": {"type": "string"},
        "progress": {"type": "integer"},
        "ttlSeconds": {"type": "integer"},
        "result": {
            "type": "object",
            "properties": {"records": {"type": "array"}, "types": {"type": "array"}, "metadata": OBJECT},
        },
    },
}
_REQUEST_TOKEN: Schema = {
    "name": "request-token",
    "in": "query",
    "required": True,
    "schema": {"type": "string"},
}
_WAIT: Schema = {
    "name": "request-timeout-milliseconds",
    "in": "query",
    "schema": {"type": "integer", "minimum": 0},
}
EXECUTE = Operation(
    "Run a DQL query",
    {"202": ("SUCCEEDED with the result, or RUNNING with a request token", _STATE)},
    ("400", "401", "403", "429", "503", "504"),
    body=json_body(
        {
            "type": "object",
            "required": ["query"],
            "properties": {
                "query": {"type": "string"},
                "defaultTimeframeStart": {"type": "string"},
                "defaultTimeframeEnd": {"type": "string"},
                "timezone": {"type": "string"},
                "maxResultRecords": {"type": "integer", "minimum": 0},
                "maxResultBytes": {"type": "integer", "minimum": 0},
                "requestTimeoutMilliseconds": {"type": "integer", "minimum": 0},
            },
        }
    ),
)
POLL = Operation(
    "Poll a running query (long polling)",
    {"200": ("The query's state and, when done, its result", _STATE)},
    ("400", "401", "403", "410", "504"),
    parameters=(_REQUEST_TOKEN, _WAIT),
)
CANCEL = Operation(
    "Cancel a query",
    {"200": ("The query had finished: its result", _STATE), "202": ("Cancelled", None)},
    ("400", "401", "403", "410"),
    parameters=(_REQUEST_TOKEN,),
)
VERIFY = Operation(
    "Check whether a query compiles",
    {
        "200": (
            "Valid or not, with positioned errors",
            {
                "type": "object",
                "properties": {"valid": {"type": "boolean"}, "notifications": {"type": "array"}},
            },
        )
    },
    ("400", "401", "403"),
    body=json_body({"type": "object", "required": ["query"], "properties": {"query": {"type": "string"}}}),
)
