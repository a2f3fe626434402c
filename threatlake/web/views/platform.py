"""What the pages ask of the service: run a query, users and sessions, connections. The one place pages
reach the application layer (``threatlake.service``, the state repositories), so the pages never import it.

Queries run exactly like the query API's (``service.query``): compiled off the event loop, executed as a job
on the service's query lanes under its timeout and admission limits (the signed-in user is the job's
owner), shaped as the platform's result (``records``, ``types``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from threatlake.aws.setup import check_region, ingest_url, setup_commands, warnings_for
from threatlake.errors import QueryError
from threatlake.service import access
from threatlake.service import query as queries
from threatlake.state import State
from threatlake.state.connections import ConnectionRecord
from threatlake.state.users import UserRecord
from threatlake.web.services import services
from threatlake.web.views.session import Throttle, Viewer
from threatlake.web.views.timeframe import Timeframe

__all__ = [
    "SESSION_TTL",
    "NewConnection",
    "QueryResult",
    "connections",
    "create_connection",
    "delete_connection",
    "find_user",
    "public_base",
    "run_query",
    "sign_in",
    "sign_out",
    "throttles",
    "users",
    "viewer_of",
]

SESSION_TTL = timedelta(hours=12)
_PAGE_QUERY_WAIT = 30.0
#: Queries one page request runs at once (a list page runs one per facet): below the per-owner limit.
_PAGE_PARALLEL = 4


@dataclass(frozen=True, slots=True)
class QueryResult:
    records: list[dict[str, Any]]
    types: list[dict[str, Any]]
    notifications: list[dict[str, Any]]

    def column(self, name: str) -> list[Any]:
        return [record.get(name) for record in self.records]


def state(request: Request) -> State:
    return services(request).state


def public_base(request: Request) -> str:
    """The base URL users reach the service at: the ``public_url`` setting, else the request's own."""
    return services(request).config.public_url or str(request.base_url).rstrip("/")


# -- users and sessions ----------------------------------------------------------------------------------


def throttles(request: Request) -> tuple[Throttle, Throttle]:
    """Failed sign-ins per user name (5 in 5 minutes) and per client address (20: an office behind one
    address). Kept by the app, in memory."""
    app_state = request.app.state
    if not hasattr(app_state, "ui_throttles"):
        app_state.ui_throttles = (Throttle(limit=5), Throttle(limit=20))
    found: tuple[Throttle, Throttle] = app_state.ui_throttles
    return found


async def find_user(request: Request, name: str, password: str) -> UserRecord | None:
    """The user ``name`` when ``password`` is theirs (scrypt, off the event loop), else None."""
    return await run_in_threadpool(state(request).users.verify, name, password)


async def sign_in(request: Request, user: UserRecord) -> str:
    """A new session for ``user``: the text of its cookie."""
    _, text = await run_in_threadpool(
        lambda: state(request).sessions.create(user.name, now=datetime.now(UTC), ttl=SESSION_TTL)
    )
    return text


async def viewer_of(request: Request, cookie: str) -> Viewer | None:
    """The signed-in viewer of a session cookie's text, or None (unknown, expired, user gone)."""

    def find() -> Viewer | None:
        found = state(request).sessions.get(cookie, now=datetime.now(UTC))
        if found is None:
            return None
        user = next((user for user in state(request).users.list() if user.name == found.user), None)
        if user is None:
            return None
        return Viewer(user.name, user.role, user.scopes, found.csrf, found.id)

    return await run_in_threadpool(find)


async def sign_out(request: Request, viewer: Viewer) -> None:
    await run_in_threadpool(state(request).sessions.delete, viewer.session)


def users(request: Request) -> list[UserRecord]:
    return state(request).users.list()


# -- connections -----------------------------------------------------------------------------------------


def connections(request: Request) -> list[ConnectionRecord]:
    """Live connections with their counters."""
    return access.list_connections(state(request))


@dataclass(frozen=True, slots=True)
class NewConnection:
    """A connection just made: its token (shown this once) and the filled-in AWS commands."""

    connection: ConnectionRecord
    token: str
    ingest_url: str
    commands: list[str]
    warnings: list[str]


def create_connection(request: Request, name: str, integration: str, region: str | None) -> NewConnection:
    """What ``POST /platform/connections`` does: RequestError for a bad name or region, ConflictError for a
    name in use."""
    url = ingest_url(public_base(request))
    checked_region = check_region(region or None)
    connection, _, token = access.create_connection(state(request), name, integration, now=datetime.now(UTC))
    commands = setup_commands(connection.name, integration, token, url, checked_region)
    return NewConnection(connection, token, url, commands, warnings_for(url))


def delete_connection(request: Request, name: str) -> ConnectionRecord:
    """Delete a connection and revoke its tokens (its events stay)."""
    return access.delete_connection(state(request), name, now=datetime.now(UTC))


# -- queries ---------------------------------------------------------------------------------------------


def _limiter(request: Request) -> asyncio.Semaphore:
    if not hasattr(request.state, "query_limiter"):
        request.state.query_limiter = asyncio.Semaphore(_PAGE_PARALLEL)
    found: asyncio.Semaphore = request.state.query_limiter
    return found


async def run_query(
    request: Request, text: str, timeframe: Timeframe, *, max_records: int | None = None
) -> QueryResult:
    """Run DQL ``text`` over ``timeframe`` as the query API does; QueryError with line and column when the
    query is invalid or fails, OverloadedError (429) when the service has too many queries."""
    found = services(request)
    config = found.config
    records = min(max_records or config.max_result_records, config.result_records_limit)
    ask = queries.QueryRequest(text, datetime.now(UTC), timeframe.start, timeframe.end, records)
    owner = (
        "user:" + str(getattr(request.state.viewer, "name", ""))
        if hasattr(request.state, "viewer")
        else "page"
    )
    async with _limiter(request):
        compiled = await run_in_threadpool(queries.compile, found.store, ask)

        def run(timeout: float) -> bytes:
            result = queries.execute(
                found.store, compiled, timeout=timeout, observe=found.metrics.query_seconds.observe
            )
            return orjson.dumps(result)

        jobs = found.jobs
        job = jobs.start(run, owner)
        try:
            await jobs.wait(job, _PAGE_QUERY_WAIT)
            if not job.done():
                raise QueryError(f"The query did not finish within {_PAGE_QUERY_WAIT:g} seconds")
            result = orjson.loads(job.future.result(timeout=0))
        finally:
            jobs.cancel(job.token)
    return QueryResult(result["records"], result["types"], result.get("notifications", []))
