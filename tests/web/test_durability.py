"""A 202 means stored: kill -9 the server mid-stream, restart, and every acknowledged event is there once."""

from __future__ import annotations

import copy
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.web.conftest import INGEST, SAMPLES, Server, start_server

TEMPLATE = orjson.loads((SAMPLES / "guardduty" / "eventbridge-instance-c2-network.json").read_bytes())
PER_REQUEST = 40


def _finding(number: int) -> dict[str, Any]:
    event = copy.deepcopy(TEMPLATE)
    event["detail"]["id"] = f"{number:032x}"
    return event


def _counts(server: Server) -> dict[str, int]:
    records = server.query("fetch security.events | summarize n = count(), by:{finding.id}")["records"]
    return {record["finding.id"]: int(record["n"]) for record in records}


def _stream(server: Server, offset: int, acked: set[str], unacked: set[str], stop: threading.Event) -> None:
    number = offset
    with httpx.Client(base_url=server.url, timeout=10) as client:
        while not stop.is_set():
            batch = [_finding(number + i) for i in range(PER_REQUEST)]
            ids = {event["detail"]["id"] for event in batch}
            number += PER_REQUEST
            try:
                response = client.post(
                    INGEST,
                    content=orjson.dumps(batch),
                    headers={
                        "Authorization": f"Api-Token {server.ingest_token}",
                        "Content-Type": "application/json",
                    },
                )
                (acked if response.status_code == 202 else unacked).update(ids)
            except httpx.TransportError:
                unacked.update(ids)
                return


def _stream_then_stop(
    data: Path, clients: int, seconds: float, sig: int, env: dict[str, str] | None = None
) -> tuple[set[str], set[str], int]:
    """Stream from ``clients`` threads for ``seconds`` (longer on a busy machine: until 400 events were
    acknowledged, at most 60 s), stop the server with ``sig`` mid-stream.

    Returns the finding ids acknowledged with 202, those not acknowledged, and the server's exit code."""
    server = start_server(data, "--no-samples", env=env)
    acked: set[str] = set()
    unacked: set[str] = set()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_stream, args=(server, n * 10_000_000, acked, unacked, stop))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    deadline = time.monotonic() + 60
    while len(acked) < 400 and time.monotonic() < deadline:
        time.sleep(0.1)
    code = server.stop(sig)
    stop.set()
    for thread in threads:
        thread.join(30)
    return acked, unacked, code


@pytest.mark.parametrize("map_workers", ["0", "2"])
def test_every_acknowledged_event_survives_kill_9(tmp_path: Path, map_workers: str) -> None:
    env = {"THREATLAKE_MAP_WORKERS": map_workers}
    acked, unacked, code = _stream_then_stop(tmp_path / "data", 4, 1.5, signal.SIGKILL, env)
    assert code == -signal.SIGKILL
    assert len(acked) >= 200, "too few requests were acknowledged before the kill to prove anything"

    again = start_server(tmp_path / "data")
    again.ingest_token = again.admin_token
    try:
        counts = _counts(again)
        assert acked <= counts.keys()
        assert set(counts.values()) == {1}
        numbers = [int(finding_id, 16) for finding_id in unacked]
        for start in range(0, len(numbers), 200):
            response = again.ingest([_finding(n) for n in numbers[start : start + 200]])
            assert response.status_code == 202, response.text
        final = _counts(again)
        assert final.keys() == acked | unacked
        assert set(final.values()) == {1}
    finally:
        assert again.stop() == 0


def test_graceful_shutdown_drains_what_was_acknowledged(tmp_path: Path) -> None:
    acked, _, code = _stream_then_stop(tmp_path / "data", 3, 1.0, signal.SIGTERM)
    assert code == 0
    again = start_server(tmp_path / "data")
    try:
        counts = _counts(again)
        assert acked <= counts.keys() and set(counts.values()) <= {1}
    finally:
        again.stop()
