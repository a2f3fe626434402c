"""A real ``threatlake serve`` process on loopback, and the helpers the web tests share."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests import golden
from threatlake.service.access import create_token
from threatlake.state import open_state

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = golden.SAMPLES
INGEST = "/platform/ingest/v1/security.events"
EXECUTE = "/platform/storage/query/v1/query:execute"
ALL_TIME = {"defaultTimeframeStart": "2000-01-01T00:00:00Z", "defaultTimeframeEnd": "2100-01-01T00:00:00Z"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running ``threatlake serve``: its URL, the first-start ingest token, and a read/admin token."""

    data_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    first_start: str = ""
    ingest_token: str = ""
    admin_token: str = ""
    stdout_rest: str = ""
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Api-Token {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30.0)
        self.clients.append(client)
        return client

    def ingest(self, body: Any, *, token: str | None = None, gzipped: bool = False) -> httpx.Response:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        headers = {"Content-Type": "application/json"}
        if gzipped:
            data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        return self.client(token or self.ingest_token).post(INGEST, content=data, headers=headers)

    def query(self, text: str, **options: Any) -> dict[str, Any]:
        body = {"query": text, **ALL_TIME, "maxResultRecords": 100_000, **options}
        response = self.client(self.admin_token).post(EXECUTE, json=body)
        assert response.status_code == 202, response.text
        payload: dict[str, Any] = response.json()
        assert payload["state"] == "SUCCEEDED", payload
        return payload["result"]

    def count(self) -> int:
        records = self.query("fetch security.events | summarize n = count()")["records"]
        return int(records[0]["n"]) if records else 0

    def stop(self, sig: int = signal.SIGTERM) -> int:
        for client in self.clients:
            client.close()
        self.clients.clear()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=60)
        if self.process.stdout:
            self.stdout_rest = self.process.stdout.read().decode()
            self.process.stdout.close()
        return code


def start_server(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """Start ``python -m threatlake serve`` and wait until it answers /readyz."""
    port = free_port()
    log = data_dir.parent / f"{data_dir.name}-{port}.log"
    first = not (data_dir / "settings.sqlite").exists()
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "threatlake",
                "serve",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, **(env or {})},
        )
    server = Server(data_dir, port, process, log)
    if first:
        assert process.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith(b"  more tokens"):
            line = process.stdout.readline()
            assert line, f"serve exited before printing the first-start secrets: {log.read_text()}"
            lines.append(line)
        server.first_start = b"".join(lines).decode()
        server.ingest_token = next(
            line.split()[-1] for line in server.first_start.splitlines() if "ingest token:" in line
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"serve exited: {log.read_text()}"
        assert time.monotonic() < deadline, "serve did not become ready"
        time.sleep(0.05)
    settings = open_state(data_dir)
    try:
        scopes = [
            "storage:security.events:read",
            "storage:events:read",
            "storage:bucket-definitions:read",
            "settings:read",
            "settings:write",
            "openpipeline.events_security",
        ]
        _, server.admin_token = create_token(settings, scopes, now=datetime.now(UTC), name="tests")
    finally:
        settings.close()
    return server


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per test module, without samples."""
    server = start_server(tmp_path_factory.mktemp("live") / "data", "--no-samples")
    yield server
    assert server.stop() == 0


def sample_files() -> list[Path]:
    return sorted(path for path in SAMPLES.rglob("*.json"))
