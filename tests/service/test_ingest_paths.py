"""One ingest path: ``threatlake ingest`` and HTTP ingest store the same rows and count the same, and
under group commit every request's counts are exact."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.web.fakes import AppClient
from threatlake.cli import main
from threatlake.config import Config
from threatlake.model import Event
from threatlake.samples import sample_files
from threatlake.service import access
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.store import Store, WriteResult, open_store
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.protocol import Rows
from threatlake.store.rows import prepare
from threatlake.web import create_app

INGEST = "/platform/ingest/v1/security.events"
PIPELINE = """
name: everywhere
endpoint: builtin
processors:
  - type: fieldsAdd
    fields:
      team: concat("sec-", lower(dt.security.risk.level))
  - type: drop
    condition: dt.security.risk.level == "NONE"
"""
# Set on the way in, so they differ between two runs by design.
_PER_DELIVERY = ("dt.ingest.time", "dt.openpipeline.source")


def _rows(data_dir: Path) -> dict[str, dict[str, Any]]:
    with DuckDBStore.in_dir(data_dir) as store:
        table = store.execute("select * from events")
    rows = {}
    for row in table.to_pylist():
        rows[row["event.id"]] = {key: value for key, value in row.items() if key not in _PER_DELIVERY}
    return rows


def _prepare(data_dir: Path) -> None:
    state = open_state(data_dir)
    state.pipelines.put("everywhere", PIPELINE)
    state.close()


def test_cli_and_http_ingest_store_the_same_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [(name, data) for name, data in sample_files()]
    assert files, "the bundled samples are missing"
    by_cli, by_http = tmp_path / "cli", tmp_path / "http"
    for directory in (by_cli, by_http):
        _prepare(directory)

    inputs = tmp_path / "inputs"
    for index, (_, data) in enumerate(files):
        (inputs / f"{index:03}.json").parent.mkdir(exist_ok=True)
        (inputs / f"{index:03}.json").write_bytes(data)
    assert main(["ingest", "--data-dir", str(by_cli), str(inputs)]) == 0
    cli_summary = orjson.loads(capsys.readouterr().out)

    store, state = open_store(by_http), open_state(by_http)
    _, token = create_token(state, ["openpipeline.events_security"], now=datetime.now(UTC))
    headers = {"Authorization": f"Api-Token {token}", "Content-Type": "application/json"}
    stored = 0
    with AppClient(create_app(Config(data_dir=by_http), store, state)) as app:
        for _, data in files:
            response = app.post(INGEST, content=data, headers=headers)
            assert response.status_code == 202, response.text
            stored += response.json()["stored"]
    store.close()
    http_counts = access.get_connection(state, "default").events_received
    state.close()

    cli_rows, http_rows = _rows(by_cli), _rows(by_http)
    assert stored == cli_summary["stored"] == len(cli_rows) > 0
    assert cli_rows == http_rows
    assert all(row["dt.ingest.connection"] == "default" for row in cli_rows.values())
    assert all(orjson.loads(row["extra"])["team"].startswith("sec-") for row in cli_rows.values())
    assert all(row["dt.security.risk.level"] != "NONE" for row in cli_rows.values())  # the pipeline ran
    state = open_state(by_cli)
    received = cli_summary["stored"] + cli_summary["duplicates"]  # counters count every event written
    assert access.get_connection(state, "default").events_received == http_counts == received
    state.close()


class _HeldStore:
    """A real store whose first write waits until every request is queued, so the rest group-commit."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self.release = threading.Event()
        self.writes: list[int] = []

    def write(self, events: Iterable[Event]) -> WriteResult:
        return self.write_rows(prepare(events))

    def write_rows(self, rows: Rows) -> WriteResult:
        self.release.wait(10)
        self.writes.append(rows.events)
        return self.inner.write_rows(rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_concurrent_overlapping_requests_get_exact_counts(tmp_path: Path) -> None:
    findings = [orjson.loads(data) for _, data in sample_files()]
    bodies = [orjson.dumps(findings[i : i + 12]) for i in range(0, 8 * 4, 4)]  # each overlaps the next
    inner = DuckDBStore(":memory:")
    store = _HeldStore(inner)
    state = open_state(tmp_path)
    _, token = create_token(state, ["openpipeline.events_security"], now=datetime.now(UTC))
    headers = {"Authorization": f"Api-Token {token}", "Content-Type": "application/json"}
    app = AppClient(create_app(Config(data_dir=tmp_path), store, state))  # type: ignore[arg-type]
    writer = app.app.state.services.writer

    async def send_all() -> list[httpx.Response]:
        async with app.client() as client:
            sending = [asyncio.create_task(client.post(INGEST, content=b, headers=headers)) for b in bodies]
            for _ in range(500):  # until the first write holds and the other seven wait behind it
                if writer.depth >= 7:
                    break
                await asyncio.sleep(0.01)
            store.release.set()
            return list(await asyncio.gather(*sending))

    with app:
        responses = asyncio.run(send_all())
    answers = [response.json() for response in responses]
    assert all(response.status_code == 202 for response in responses), answers
    rows = int(inner.execute("select count(*) as n from events").to_pylist()[0]["n"])
    assert len(store.writes) < len(bodies)  # some requests really shared a commit
    for answer in answers:
        assert answer["stored"] + answer["duplicates"] == answer["events"] > 0
    assert sum(answer["stored"] for answer in answers) == rows
    assert sum(answer["duplicates"] for answer in answers) > 0  # they did overlap
    inner.close()
    state.close()
