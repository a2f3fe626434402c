"""In-memory stand-ins for the store: fakes over mocks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Any

import httpx
import pyarrow as pa
from starlette.applications import Starlette

from threatlake.errors import QueryTimeoutError
from threatlake.model import Event
from threatlake.store import WriteResult
from threatlake.store.protocol import Rows
from threatlake.store.rows import prepare


class GatedStore:
    """A store whose writes and reads wait until ``gate`` is set; counts what it was given."""

    dialect = "duckdb"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.writes: list[int] = []
        self.ids: set[str] = set()
        self.executed = 0

    def write(self, events: Iterable[Event]) -> WriteResult:
        return self.write_rows(prepare(events))

    def write_rows(self, rows: Rows) -> WriteResult:
        self.gate.wait(10)
        self.writes.append(rows.events)
        new = set(rows.table.column("event.id").to_pylist()) - self.ids
        self.ids |= new
        return rows.result(sorted(new))

    def execute(
        self, sql: str, params: Any = None, *, timeout: float | None = None, interrupt: object = None
    ) -> pa.Table:
        if not self.gate.wait(10 if timeout is None else timeout):
            raise QueryTimeoutError(f"query interrupted after the timeout of {timeout:g} seconds")
        self.executed += 1
        return pa.table({"n": pa.array([7], pa.int64())})

    def list_buckets(self) -> list[Any]:
        return []

    def close(self) -> None:
        self.gate.set()


class AppClient:
    """Requests to an in-process app through httpx's ASGI transport; the writer runs while it is open."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    def __enter__(self) -> AppClient:
        self.app.state.services.writer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # What the app's lifespan does on shutdown: drain the writer, then write the pending counters.
        self.app.state.services.writer.close(5)
        self.app.state.services.counters.close()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test")

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            async with self.client() as client:
                return await client.request(method, url, **options)

        return asyncio.run(send())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)

    def delete(self, url: str, **options: Any) -> httpx.Response:
        return self.request("DELETE", url, **options)
