"""Two ``threatlake serve`` nodes on one PostgreSQL state (a real server), each with its own data
directory and embedded store (DuckDB lets one process hold a store file): they accept the same tokens,
a browser session made on one works on the other, a revoked token stops working on both, and a
scheduled workflow runs once across both: one node holds the scheduler lease, and when it stops the
other takes over without running the slot again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest

from tests.state.postgres import shared_server, skip_reason
from tests.web.conftest import ALL_TIME, EXECUTE, Server, free_port, sample_files
from tests.workflows.documents import COUNT
from threatlake.state import State, open_state
from threatlake.workflows.document import read_document
from threatlake.workflows.scheduler import LEASE

POLL = "/platform/storage/query/v1/query:poll"
CANCEL = "/platform/storage/query/v1/query:cancel"
pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

KEY = "S2V5LW9mLXRoZS10ZXN0cy0zMi1ieXRlcy1sb25nISE="
PASSWORD = "two-nodes-admin-password"
#: ``COUNT`` once a day (interval slots count from the epoch: 00:00 UTC), saved two days ago, so each node's
#: first tick finds exactly one missed slot, today's.
DAILY = COUNT + (
    "trigger:\n  schedule:\n    isActive: true\n"
    "    trigger: {type: interval, intervalMinutes: 1440}\n    timezone: UTC\n"
)


def start_node(data_dir: Path, url: str) -> Server:
    """``threatlake serve --state URL`` on its own data directory; ready when /readyz answers."""
    return ready(spawn_node(data_dir, url))


TAGGED = """
name: tagged
endpoint: tagged
processors:
  - type: fieldsAdd
    fields:
      team: '"two-nodes"'
"""


def spawn_node(data_dir: Path, url: str) -> Server:
    """``threatlake serve --state URL`` on its own data directory, started (not yet ready)."""
    port = free_port()
    log = data_dir.parent / f"{data_dir.name}.log"
    env = {**os.environ, "THREATLAKE_CREDENTIALS_KEY": KEY, "THREATLAKE_ADMIN_PASSWORD": PASSWORD}
    with log.open("ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "threatlake", "serve", "--data-dir", str(data_dir), "--state", url,
             "--port", str(port), "--no-samples"],
            stdout=subprocess.PIPE, stderr=stderr, env=env,
        )  # fmt: skip
    return Server(data_dir, port, process, log)


def ready(server: Server) -> Server:
    """``server`` once it answers /readyz."""
    process, log = server.process, server.log
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"serve exited: {log.read_text()}"
        assert time.monotonic() < deadline, "serve did not become ready"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def url() -> str:
    return shared_server().new_database()


@pytest.fixture(scope="module")
def nodes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nodes")


@pytest.fixture(scope="module")
def state(url: str, nodes_dir: Path) -> Iterator[State]:
    found = open_state(nodes_dir / "test", database=url, credentials_key=KEY)
    yield found
    found.close()


@pytest.fixture(scope="module")
def nodes(url: str, state: State, nodes_dir: Path) -> Iterator[list[Server]]:
    """Both nodes for the module (starting them is most of its time); the schedule test stops one."""
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    state.workflows.put_workflow("daily", read_document(DAILY).value, two_days_ago)
    # both at once on an empty state: one of them makes the first start, the other waits for it
    started = [ready(node) for node in [spawn_node(nodes_dir / name, url) for name in ("a", "b")]]
    yield started
    for node in started:
        if node.process.returncode is None:  # not stopped by the test already
            assert node.stop() == 0


def sign_in(node: Server) -> httpx.Client:
    client = node.client()
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:500]
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf": csrf[1], "next": "/"}
    )
    assert response.status_code == 303, response.text[:500]
    return client


def holder_pid(state: State) -> int | None:
    holder = state.leases.holder(LEASE, datetime.now(UTC))
    return int(holder.split(":")[1]) if holder else None


def wait_for(check: object, seconds: float = 45.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def cli_token(url: str, data_dir: Path, *scopes: str) -> str:
    """A token made by ``threatlake token create --state URL`` (the command line shares the state too)."""
    done = subprocess.run(
        [sys.executable, "-m", "threatlake", "token", "create", "--data-dir", str(data_dir), "--state", url,
         *(f"--scope={scope}" for scope in scopes)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_tokens_and_sessions_made_on_one_node_work_on_the_other(
    nodes: list[Server], url: str, tmp_path: Path
) -> None:
    a, b = nodes
    admin = cli_token(url, tmp_path / "cli", "settings:read", "settings:write")
    made = a.client(admin).post(
        "/platform/tokens", json={"scopes": ["openpipeline.events_security"], "name": "made-on-a"}
    )
    assert made.status_code == 201, made.text
    token, token_id = made.json()["token"], made.json()["id"]
    finding = sample_files()[0].read_bytes()
    for node in (a, b):
        assert node.ingest(finding, token=token).status_code == 202
    assert b.client(admin).delete(f"/platform/tokens/{token_id}").status_code == 200
    for node in (a, b):  # revoked on b: refused by both
        assert node.ingest(finding, token=token).status_code == 401

    session = sign_in(a)
    cookie = {"tl_session": session.cookies["tl_session"]}
    home = httpx.get(f"{b.url}/", cookies=cookie, timeout=30)
    assert home.status_code == 200 and "admin" in home.text  # signed in on a, recognised on b
    stranger = httpx.get(f"{b.url}/", cookies={"tl_session": "x" * 40}, timeout=30)
    assert stranger.status_code == 303 and "/login" in stranger.headers["location"]


def test_a_query_started_on_one_node_is_polled_and_cancelled_through_the_other(
    nodes: list[Server], url: str, tmp_path: Path
) -> None:
    a, b = nodes
    reader = cli_token(url, tmp_path / "cli", "storage:security.events:read")
    query = {"query": "fetch security.events | summarize n = count()", **ALL_TIME}

    def running() -> str:
        for _ in range(20):  # answered inline when it finishes before the 0 ms wait is checked
            started = a.client(reader).post(EXECUTE, json={**query, "requestTimeoutMilliseconds": 0})
            assert started.status_code == 202, started.text
            if started.json()["state"] == "RUNNING":
                token: str = started.json()["requestToken"]
                return token
        raise AssertionError("every query finished inline")

    token = running()
    params = {"request-token": token, "request-timeout-milliseconds": 20_000}
    remote = b.client(reader).get(f"{POLL}", params=params)
    local = a.client(reader).get(f"{POLL}", params=params)
    assert remote.status_code == local.status_code == 200, remote.text
    assert remote.json()["state"] == "SUCCEEDED" and remote.content == local.content

    token = running()
    cancelled = b.client(reader).post(CANCEL, params={"request-token": token})
    assert cancelled.status_code in (200, 202), cancelled.text  # 200: it had finished, answered once
    gone = a.client(reader).get(POLL, params={"request-token": token})
    assert gone.status_code == 410, gone.text


def test_a_pipeline_stored_through_one_node_comes_into_force_on_the_other(
    nodes: list[Server], url: str, tmp_path: Path
) -> None:
    a, b = nodes
    admin = cli_token(url, tmp_path / "cli", "settings:write", "storage:security.events:read")
    put = a.client(admin).put(
        "/platform/pipelines/tagged", content=TAGGED, headers={"Content-Type": "application/yaml"}
    )
    assert put.status_code == 201, put.text
    sender = cli_token(url, tmp_path / "cli", "openpipeline.events_security.custom")
    finding = orjson.loads(sample_files()[0].read_bytes())
    attempts = iter(range(1000))

    def tagged_on_b() -> bool:
        # a new finding each time: one b stored before it knew the pipeline would be a duplicate after
        finding["detail"]["id"] = f"two-nodes-pipeline-{next(attempts)}"
        sent = b.client(sender).post(
            "/platform/ingest/custom/security.events/tagged",
            content=orjson.dumps(finding),
            headers={"Content-Type": "application/json"},
        )
        assert sent.status_code == 202, sent.text
        found = b.client(admin).post(
            EXECUTE, json={"query": 'fetch security.events | filter team == "two-nodes"', **ALL_TIME}
        )
        return bool(found.json().get("result", {}).get("records"))

    wait_for(tagged_on_b, seconds=30)  # b re-reads the shared definitions every few seconds


def test_a_schedule_runs_once_across_both_and_the_lease_moves_when_its_holder_stops(
    nodes: list[Server], state: State
) -> None:
    wait_for(lambda: state.workflows.list_executions("daily"))
    by_pid = {node.process.pid: node for node in nodes}
    holder = by_pid[holder_pid(state) or 0]  # one node holds the lease; the other waits
    (other,) = [node for node in nodes if node is not holder]
    assert holder.stop() == 0  # releases the lease as it stops
    wait_for(lambda: holder_pid(state) == other.process.pid, seconds=60)  # the other's next tick takes it
    runs = state.workflows.list_executions("daily")
    assert [(r["triggerType"], r["state"]) for r in runs] == [("Schedule", "SUCCESS")]  # today's slot once


def test_both_started_at_once_and_one_made_the_first_start(nodes: list[Server], state: State) -> None:
    for node in nodes:
        if node.process.returncode is None:
            assert node.stop() == 0
    banners = [node.stdout_rest.count("Threatlake first start") for node in nodes]
    assert sorted(banners) == [0, 1], banners  # one admin password and one ingest token, printed once
    assert [user.name for user in state.users.list()] == ["admin"]
