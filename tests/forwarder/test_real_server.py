"""The handler, invoked in-process with every sample EventBridge event, against the real Threatlake server on
loopback: all findings stored, once.

A real ``threatlake serve`` (subprocess), two connections made with ``threatlake connection create`` while it
runs, the real secret read (moto's Secrets Manager holding each connection's token under the default key) and
the real Lambda entry point ``handler``; some events go one per invocation, the rest in one SQS batch, and a
few twice. The stored event ids equal those ``map_bytes`` gives for the same files, and ``connection list``
shows what each connection sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.forwarder.fakes import FakeContext, FakeTime
from tests.forwarder.samples import FIXTURES
from tests.web.conftest import INGEST, Server, start_server
from threatlake.cli import main
from threatlake.forwarder import handler as handler_module
from threatlake.forwarder.config import DEFAULT_SECRET_KEY_NAME
from threatlake.forwarder.handler import handler
from threatlake.pipeline.mapping import IngestContext, map_bytes

CONNECTIONS = {"amazon-guardduty": "gd-prod", "aws-security-hub": "hub-prod"}


def samples() -> dict[str, list[Path]]:
    """Every whole EventBridge event among the fixtures, by the integration that forwards it."""
    found: dict[str, list[Path]] = {"amazon-guardduty": [], "aws-security-hub": []}
    for integration, pattern in (
        ("amazon-guardduty", "guardduty/eventbridge-*.json"),
        ("aws-security-hub", "securityhub/*eventbridge*.json"),
    ):
        for path in sorted(FIXTURES.glob(pattern)):
            document = json.loads(path.read_text())
            if isinstance(document, dict) and {"source", "detail-type", "detail"} <= document.keys():
                found[integration].append(path)
    return found


def event_ids(path: Path) -> list[str]:
    ctx = IngestContext(received_at=datetime.now(UTC), source="test")
    batch = map_bytes(path.read_bytes(), ctx, path.name)
    assert batch.rejections == [], batch.rejections
    return [str(event["event.id"]) for event in batch.events]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    live = start_server(tmp_path_factory.mktemp("forwarder") / "data", "--no-samples")
    yield live
    assert live.stop() == 0


def create_connection(server: Server, integration: str, capsys: pytest.CaptureFixture[str]) -> str:
    """``threatlake connection create`` on the running server's data directory; returns the token."""
    args = ["connection", "create", integration, "--name", CONNECTIONS[integration]]
    assert main([*args, "--data-dir", str(server.data_dir), "--endpoint", server.url]) == 0
    out = capsys.readouterr().out
    assert f"IngestUrl={server.url}{INGEST}" in out
    return next(line.split()[-1] for line in out.splitlines() if "shown this once" in line)


def invoke(payload: Any) -> dict[str, Any]:
    return handler(payload, FakeContext(FakeTime(), remaining_seconds=60))


def test_every_sample_through_the_handler_is_stored_once(
    server: Server,
    make_secret: Callable[[Any], str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected: set[str] = set()
    sent: dict[str, int] = {}
    for integration, paths in samples().items():
        assert paths, integration
        token = create_connection(server, integration, capsys)
        # a fresh Lambda container per connection, configured as deploy/forwarder.yaml configures it
        monkeypatch.setenv("INGEST_URL", f"{server.url}{INGEST}")
        monkeypatch.setenv("THREATLAKE_SECRET_ARN", make_secret({DEFAULT_SECRET_KEY_NAME: token}))
        monkeypatch.delenv("SECRET_KEY_NAME", raising=False)
        monkeypatch.setattr(handler_module, "_forwarder", None)
        ids = {path: event_ids(path) for path in paths}
        singles, batched = paths[::2], paths[1::2]
        for path in singles:
            assert invoke(json.loads(path.read_text()))["events"] == 1
        if batched:
            records = [{"eventSource": "aws:sqs", "body": path.read_text()} for path in batched]
            assert invoke({"Records": records})["events"] == len(batched)
        again = paths[:3]  # EventBridge delivers at least once: the same events again store nothing new
        for path in again:
            invoke(json.loads(path.read_text()))
        sent[CONNECTIONS[integration]] = sum(len(ids[path]) for path in [*paths, *again])
        expected |= {event_id for path in paths for event_id in ids[path]}

    records = server.query("fetch security.events | fields event.id, dt.ingest.connection")["records"]
    stored = [record["event.id"] for record in records]
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert set(stored) == expected
    assert {record["dt.ingest.connection"] for record in records} == set(CONNECTIONS.values())

    # the service adds what each connection sent to the settings database within about a second
    deadline = time.monotonic() + 10
    while True:
        assert main(["connection", "list", "--data-dir", str(server.data_dir)]) == 0
        rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[1:]}
        counts = {name: int(rows[name][4]) for name in sent}
        if counts == sent or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert counts == sent
    assert all(rows[name][5] != "-" for name in sent)
    listed = server.client(server.admin_token).get("/platform/connections").json()["connections"]
    assert {item["name"]: item["eventsReceived"] for item in listed if item["name"] in sent} == sent
