"""The one writer: group commit, backpressure (429 + Retry-After), 503 when closed, drain on close."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import INGEST, sample_files
from tests.web.fakes import AppClient, GatedStore
from threatlake.config import Config
from threatlake.errors import OverloadedError, UnavailableError
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.web import create_app
from threatlake.web.writer import Writer


def _events(prefix: str, count: int) -> list[dict[str, object]]:
    return [{"event.id": f"{prefix}{i}"} for i in range(count)]


def test_group_commit_answers_each_request() -> None:
    store = GatedStore()
    writer = Writer(store, 10)
    writer.start()
    futures = [writer.submit(_events(f"b{n}-", 3)) for n in range(5)]
    time.sleep(0.1)
    store.gate.set()
    results = [future.result(5) for future in futures]
    writer.close(5)
    assert [result.stored for result in results] == [3] * 5
    assert sum(store.writes) == 15 and len(store.writes) < 5  # the first write, then the rest in one group


def test_full_queue_refuses_and_close_drains() -> None:
    store = GatedStore()
    writer = Writer(store, 2)
    with pytest.raises(UnavailableError):
        writer.submit(_events("x", 1))  # not started yet: 503
    writer.start()
    first = writer.submit(_events("a", 1))
    time.sleep(0.1)  # the writer took it and waits at the gate
    queued = [writer.submit(_events("b", 1)), writer.submit(_events("c", 1))]
    with pytest.raises(OverloadedError) as refused:
        writer.submit(_events("d", 1))
    assert refused.value.retry_after >= 1
    store.gate.set()
    writer.close(5)
    assert first.result(0).stored == 1 and all(future.result(0).stored == 1 for future in queued)
    with pytest.raises(UnavailableError):
        writer.submit(_events("e", 1))


def test_http_429_with_retry_after(tmp_path: Path) -> None:
    settings = open_state(tmp_path)
    _, token = create_token(
        settings, ["openpipeline.events_security"], now=__import__("datetime").datetime.now()
    )
    store = GatedStore()
    app = create_app(Config(writer_queue_batches=2), store, settings)
    body = sample_files()[0].read_bytes()
    headers = {"Authorization": f"Api-Token {token}", "Content-Type": "application/json"}

    async def burst(client: httpx.AsyncClient) -> list[httpx.Response]:
        tasks = [asyncio.create_task(client.post(INGEST, content=body, headers=headers)) for _ in range(8)]
        await asyncio.sleep(1.0)
        store.gate.set()
        return list(await asyncio.gather(*tasks))

    async def run() -> list[httpx.Response]:
        async with AppClient(app).client() as client:
            return await burst(client)

    with AppClient(app):
        responses = asyncio.run(run())
    statuses = sorted(response.status_code for response in responses)
    assert 202 in statuses and 429 in statuses, statuses
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == 429
    settings.close()
