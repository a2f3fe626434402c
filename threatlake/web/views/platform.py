"""What the pages ask of the service: run a query, check a user, the sessions. The one place pages reach
the application layer, so moving them onto the service core is a change here only.

Queries run like the query API's: compiled off the event loop, executed as a job on the service's query
pool under its timeout, shaped as the platform's result (``records``, ``types``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from threatlake.cli.connection import check_region, ingest_url, setup_commands, warnings_for
from threatlake.errors import QueryError, StoreError
from threatlake.query import CompiledQuery, compile_query, to_result
from threatlake.store.settings import ConnectionRecord, Settings
from threatlake.web.jobs import QueryJobs
from threatlake.web.views.session import Sessions, Throttle
from threatlake.web.views.timeframe import Timeframe

__all__ = [
    "NewConnection",
    "QueryResult",
    "User",
    "connections",
    "create_connection",
    "delete_connection",
    "find_user",
    "run_query",
    "sessions",
    "throttles",
    "users",
]

_PAGE_QUERY_WAIT = 30.0


@dataclass(frozen=True, slots=True)
class QueryResult:
    records: list[dict[str, Any]]
    types: list[dict[str, Any]]
    notifications: list[dict[str, Any]]

    def column(self, name: str) -> list[Any]:
        return [record.get(name) for record in self.records]


@dataclass(frozen=True, slots=True)
class User:
    name: str
    admin: bool
    created: str


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def sessions(request: Request) -> Sessions:
    """The app's sessions (made on first use)."""
    state = request.app.state
    if not hasattr(state, "ui_sessions"):
        state.ui_sessions = Sessions()
    found: Sessions = state.ui_sessions
    return found


def throttles(request: Request) -> tuple[Throttle, Throttle]:
    """Failed sign-ins per user name (5 in 5 minutes) and per client address (20: an office behind one
    address)."""
    state = request.app.state
    if not hasattr(state, "ui_throttles"):
        state.ui_throttles = (Throttle(limit=5), Throttle(limit=20))
    found: tuple[Throttle, Throttle] = state.ui_throttles
    return found


def connections(request: Request) -> list[ConnectionRecord]:
    """Live connections with their counters."""
    return _settings(request).connections()


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
    url = ingest_url(str(request.base_url))
    checked_region = check_region(region or None)
    connection, _, token = _settings(request).create_connection(name, integration, now=datetime.now(UTC))
    commands = setup_commands(connection.name, integration, token, url, checked_region)
    return NewConnection(connection, token, url, commands, warnings_for(url))


def delete_connection(request: Request, name: str) -> ConnectionRecord:
    """Delete a connection and revoke its tokens (its events stay)."""
    return _settings(request).delete_connection(name, now=datetime.now(UTC))


def users(request: Request) -> list[User]:
    settings = _settings(request)
    with settings._lock:  # the settings database has no user listing yet (the state repositories will)
        rows = settings._conn.execute("select name, admin, created from users order by name").fetchall()
    return [User(name, bool(admin), created) for name, admin, created in rows]


async def find_user(request: Request, name: str, password: str) -> User | None:
    """The user ``name`` when ``password`` is theirs (scrypt, off the event loop), else None."""
    settings = _settings(request)
    if not await run_in_threadpool(settings.verify_user, name, password):
        return None
    return next((user for user in users(request) if user.name == name), None)


async def run_query(
    request: Request, text: str, timeframe: Timeframe, *, max_records: int | None = None
) -> QueryResult:
    """Run DQL ``text`` over ``timeframe`` as the query API does; QueryError with line and column when the
    query is invalid or fails."""
    state = request.app.state
    config = state.config
    store = state.store
    records = min(max_records or config.max_result_records, config.result_records_limit)
    now = datetime.now(UTC)

    def compile_it() -> CompiledQuery:
        return compile_query(
            text,
            dialect=store.dialect,
            now=now,
            default_from=timeframe.start,
            default_to=timeframe.end,
            max_records=records,
        )

    compiled = await run_in_threadpool(compile_it)

    def run() -> dict[str, Any]:
        started = time.perf_counter()
        try:
            table = store.execute(compiled.sql, compiled.params, timeout=config.query_timeout_seconds)
        except StoreError as error:
            raise QueryError(f"The query failed: {error.message}") from None
        elapsed = time.perf_counter() - started
        state.metrics.query_seconds.observe(elapsed)
        return to_result(compiled, table, scanned_records=table.num_rows, execution_ms=int(elapsed * 1000))

    jobs: QueryJobs = state.jobs
    job = jobs.start(run)
    try:
        await jobs.wait(job, _PAGE_QUERY_WAIT)
        answer = jobs.response(job)
    finally:
        jobs.cancel(job.token)
    if answer["state"] != "SUCCEEDED":
        raise QueryError(f"The query did not finish within {_PAGE_QUERY_WAIT:g} seconds")
    result = answer["result"]
    return QueryResult(result["records"], result["types"], result.get("notifications", []))
