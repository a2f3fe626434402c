"""Admission before work and connection hygiene, against the real server process (web/admission.py,
web/protocol.py): slow clients are cut off, overload is refused before the body is read, and early errors
are readable by clients that write the whole body first."""

from __future__ import annotations

import gzip
import json
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import orjson
import pytest
import requests

from tests.web.conftest import Server, start_server
from threatlake.service.access import create_token
from threatlake.state import open_state

INGEST = "/platform/ingest/v1/security.events"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with short deadlines and one ingest request at a time."""
    env = {
        "THREATLAKE_HEADER_TIMEOUT_SECONDS": "0.5",
        "THREATLAKE_BODY_TIMEOUT_SECONDS": "1",
        "THREATLAKE_MAX_INGEST_REQUESTS": "1",
        "THREATLAKE_MAX_BODY_BYTES": str(2 * 1024 * 1024),
    }
    server = start_server(tmp_path_factory.mktemp("strict") / "data", "--no-samples", env=env)
    yield server
    assert server.stop() == 0


def _connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (then closed here too)."""
    chunks = []
    with sock:
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def _healthz_answers(server: Server) -> bool:
    """The event loop is free: ``/healthz`` answers (a stalled loop would not, within the timeout). A bound
    for liveness, not a timing: the machine may be busy, and figures belong in ``bench/``."""
    return httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_partial_request_head_is_answered_408_and_closed(strict: Server) -> None:
    sock = _connect(strict)
    sock.sendall(b"POST " + INGEST.encode() + b" HTTP/1.1\r\nHost: x\r\n")
    answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408")


def test_a_silent_connection_is_closed(strict: Server) -> None:
    socks = [_connect(strict) for _ in range(50)]
    assert _healthz_answers(strict)
    assert all(_read_all(sock) == b"" for sock in socks)


def test_an_incomplete_body_is_answered_408_and_closed(strict: Server) -> None:
    sock = _connect(strict)
    head = (
        f"POST {INGEST} HTTP/1.1\r\nHost: x\r\nAuthorization: Api-Token {strict.ingest_token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    sock.sendall(head.encode() + b'[{"a": 1}')
    answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive within 1 seconds" in answer
    assert b"connection: close" in answer.lower()


def test_ingest_over_the_concurrency_bound_is_refused_before_the_body(strict: Server) -> None:
    holder = _connect(strict)  # one ingest in progress: its body is still arriving
    holder.sendall(
        (
            f"POST {INGEST} HTTP/1.1\r\nHost: x\r\nAuthorization: Api-Token {strict.ingest_token}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n["
        ).encode()
    )
    time.sleep(0.2)
    refused = strict.ingest([{"not": "read"}])
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "1 ingest requests are in progress (limit 1)" in refused.json()["error"]["message"]
    assert _read_all(holder).startswith(b"HTTP/1.1 408")
    assert strict.ingest([{"not": "a finding"}]).status_code == 202  # the slot is free again


@pytest.mark.parametrize("megabytes", [1, 4, 16])
def test_an_early_401_is_readable_by_urllib(strict: Server, megabytes: int) -> None:
    body = b"[" + b" " * (megabytes * 1024 * 1024) + b"]"
    request = urllib.request.Request(
        strict.url + "/platform/storage/query/v1/query:execute",
        data=body,
        headers={"Authorization": "Api-Token nope", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)
    assert raised.value.code == 401
    assert json.loads(raised.value.read())["error"]["code"] == 401


@pytest.mark.parametrize("megabytes", [4, 16])
def test_an_early_413_is_readable_by_requests(strict: Server, megabytes: int) -> None:
    body = b"[" + b" " * (megabytes * 1024 * 1024) + b"]"
    response = requests.post(
        strict.url + INGEST,
        data=body,
        headers={"Authorization": f"Api-Token {strict.ingest_token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert "over the limit of 2097152 bytes" in response.json()["error"]["message"]


def test_healthz_answers_while_slow_clients_hold_connections(strict: Server) -> None:
    stop = threading.Event()
    holders: list[socket.socket] = []

    def trickle() -> None:
        while not stop.is_set() and len(holders) < 200:
            sock = _connect(strict)
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            holders.append(sock)

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        time.sleep(0.3)
        assert _healthz_answers(strict)
    finally:
        stop.set()
        thread.join()
        for sock in holders:
            sock.close()


def _post(server: Server, body: bytes, *, gzipped: bool = True, path: str = INGEST) -> httpx.Response:
    headers = {"Authorization": f"Api-Token {server.ingest_token}", "Content-Type": "application/json"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return httpx.post(server.url + path, content=body, headers=headers, timeout=60)


def test_a_decompression_bomb_is_refused_fast(live: Server) -> None:
    bomb = gzip.compress(b"[" + b"{}," * 10_000_000 + b"{}]", 9)
    assert len(bomb) < 40_000
    response = _post(live, bomb)
    assert response.status_code == 413
    error = response.json()["error"]
    assert "inflates to more than 100 times its size" in error["message"]
    assert error["details"]["ratio"] == 100
    assert _healthz_answers(live)


def test_findings_per_request_are_capped(live: Server) -> None:
    body = gzip.compress(orjson.dumps([{"n": n} for n in range(500_000)]))
    response = _post(live, body)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["message"].startswith("The body holds 500000 findings; at most 10000 are accepted")
    assert error["details"] == {"findings": 500_000, "limit": 10_000}
    assert live.query("fetch security.events | summarize n = count()")["records"] == [{"n": "0"}]


def test_a_custom_endpoint_checks_the_token_before_the_name(live: Server) -> None:
    path = "/platform/ingest/custom/security.events/bad!name"
    anonymous = httpx.post(live.url + path, content=b"{}", headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 401
    assert _post(live, b"{}", gzipped=False, path=path).status_code == 403  # an ingest token lacks .custom


def test_a_locked_settings_database_is_a_prompt_503(live: Server) -> None:
    state = open_state(live.data_dir)
    try:  # a token never used: its first use records ``last_used``, a write
        _, fresh = create_token(state, ["storage:security.events:read"], now=datetime.now(UTC))
    finally:
        state.close()
    holder = sqlite3.connect(live.data_dir / "settings.sqlite", timeout=1, isolation_level=None)
    try:
        holder.execute("begin immediate")  # another process holds the write lock
        response = httpx.post(
            live.url + "/platform/storage/query/v1/query:execute",
            json={"query": "fetch security.events | limit 1"},
            headers={"Authorization": f"Api-Token {fresh}"},
            timeout=30,
        )
        assert _healthz_answers(live)
    finally:
        holder.execute("rollback")
        holder.close()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert "settings database is busy" in response.json()["error"]["message"]


def test_data_files_are_private(live: Server) -> None:
    paths = [live.data_dir, *live.data_dir.rglob("*")]
    assert len(paths) > 2
    loose = {str(path.relative_to(live.data_dir)): oct(path.stat().st_mode & 0o777) for path in paths}
    assert {name: mode for name, mode in loose.items() if int(mode, 8) & 0o077} == {}


def test_metrics_can_require_a_token(tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {"THREATLAKE_METRICS_TOKEN_REQUIRED": "true"}
    server = start_server(tmp_path_factory.mktemp("metrics") / "data", "--no-samples", env=env)
    try:
        assert httpx.get(server.url + "/metrics").status_code == 401
        allowed = httpx.get(
            server.url + "/metrics", headers={"Authorization": f"Api-Token {server.admin_token}"}
        )
        assert allowed.status_code == 200 and "threatlake_events_stored" in allowed.text
        assert httpx.get(server.url + "/healthz").status_code == 200
    finally:
        assert server.stop() == 0
