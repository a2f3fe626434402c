"""The automation API in a real ``threatlake serve``: scopes, validation, runs, executions; the command line
through the running service; event triggers on newly stored events; a schedule run by the service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests import golden
from tests.web.conftest import Server, start_server
from tests.workflows.documents import COUNT, ON_EVENT, SCHEDULED
from threatlake.cli import main
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.workflows.document import read_document

BASE = "/platform/automation/v1"
FILES = sorted((golden.FIXTURES / "findings" / "guardduty").glob("own-*.json"))[:4]


def token(server: Server, *scopes: str) -> str:
    state = open_state(server.data_dir)
    try:
        return create_token(state, list(scopes), now=datetime.now(UTC), name="wf tests")[1]
    finally:
        state.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("wf") / "data", "--no-samples")
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def clients(served: Server) -> dict[str, httpx.Client]:
    read, write, run = (f"automation:workflows:{kind}" for kind in ("read", "write", "run"))
    return {
        "read": served.client(token(served, read)),
        "write": served.client(token(served, write, read)),
        "run": served.client(token(served, run, read)),
        "other": served.client(token(served, "settings:write")),
    }


def wait_for(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_create_needs_the_write_scope_and_a_valid_definition(
    served: Server, clients: dict[str, httpx.Client]
) -> None:
    yaml = {"Content-Type": "application/yaml"}
    assert served.client().post(f"{BASE}/workflows", content=COUNT, headers=yaml).status_code == 401
    assert clients["read"].post(f"{BASE}/workflows", content=COUNT, headers=yaml).status_code == 403
    assert clients["other"].get(f"{BASE}/workflows").status_code == 403
    bad = COUNT.replace("execute-dql-query\n", "execute-dql-query\n    retry: {count: 99}\n")
    answer = clients["write"].post(f"{BASE}/workflows", content=bad, headers=yaml)
    assert answer.status_code == 400
    problem = answer.json()["error"]["details"]["problems"][0]
    assert (problem["task"], problem["line"]) == ("count", 5)
    assert clients["write"].post(f"{BASE}/workflows", content=b"x", headers={"Content-Type": "image/png"}
                                 ).status_code == 415  # fmt: skip


def test_crud_run_and_executions(served: Server, clients: dict[str, httpx.Client]) -> None:
    assert served.ingest([orjson.loads(path.read_bytes()) for path in FILES]).status_code == 202
    stored = served.count()
    created = clients["write"].post(f"{BASE}/workflows", content=COUNT, headers={"Content-Type": "text/yaml"})
    assert created.status_code == 201, created.text
    workflow = created.json()
    assert (workflow["title"], workflow["version"]) == ("Count", 1)
    listed = clients["read"].get(f"{BASE}/workflows").json()
    assert workflow["id"] in {item["id"] for item in listed["results"]}

    path = f"{BASE}/workflows/{workflow['id']}"
    renamed = orjson.loads(orjson.dumps({**clients["read"].get(path).json(), "title": "Count all"}))
    assert clients["write"].put(path + "?version=7", json=renamed).status_code == 409
    updated = clients["write"].put(path + "?version=1", json=renamed)
    assert updated.status_code == 200 and updated.json()["version"] == 2

    assert clients["read"].post(path + "/run").status_code == 403
    started = clients["run"].post(path + "/run", json={"params": {"why": "test"}})
    assert started.status_code == 201, started.text
    execution = started.json()
    assert execution["workflow"] == workflow["id"] and execution["state"] in ("RUNNING", "SUCCESS")

    done = wait_for(lambda: (r := clients["read"].get(f"{BASE}/executions/{execution['id']}").json())
                    ["state"] != "RUNNING" and r)  # fmt: skip
    assert done["state"] == "SUCCESS" and done["params"] == {"why": "test"}
    tasks = clients["read"].get(f"{BASE}/executions/{execution['id']}/tasks").json()
    assert tasks["count"]["state"] == "SUCCESS"
    assert tasks["count"]["result"]["records"][0]["n"] == str(stored)
    history = clients["read"].get(f"{BASE}/executions", params={"workflow": workflow["id"]}).json()
    assert [item["id"] for item in history["results"]] == [execution["id"]]
    assert clients["read"].get(f"{BASE}/executions", params={"limit": "0"}).status_code == 400

    assert clients["write"].delete(path).status_code == 204
    assert clients["read"].get(path).status_code == 404
    assert clients["run"].post(path + "/run").status_code == 404


def test_the_command_line_goes_through_the_running_service(
    served: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(served.data_dir)]
    source = tmp_path / "count.yaml"
    source.write_text(COUNT.replace("title: Count", "title: Count from the shell"))
    assert main(["workflows", "import", str(source), *data]) == 0
    workflow_id = capsys.readouterr().out.strip()
    assert main(["workflows", "run", "Count from the shell", "--wait", "--json", *data]) == 0
    record = orjson.loads(capsys.readouterr().out)
    assert record["workflow"] == workflow_id and record["state"] == "SUCCESS"
    assert record["tasks"]["count"]["state"] == "SUCCESS"
    assert record["tasks"]["count"]["result"]["records"][0]["n"] == str(served.count())
    assert main(["workflows", "run", workflow_id, *data]) == 0  # started, not followed: its id
    execution = capsys.readouterr().out.strip()
    assert main(["workflows", "executions", workflow_id, "--json", *data]) == 0
    assert execution in {item["id"] for item in orjson.loads(capsys.readouterr().out)}
    assert (
        main(["credentials", "create", "msteams", "team", "--webhook-url", "http://127.0.0.1:9", *data]) == 0
    )
    assert capsys.readouterr().out == "team\n"


def detections(served: Server) -> set[str]:
    query = 'fetch security.events | filter event.type == "DETECTION_FINDING" | fields event.id'
    return {record["event.id"] for record in served.query(query)["records"]}


def test_an_event_trigger_runs_once_per_new_event(served: Server, clients: dict[str, httpx.Client]) -> None:
    created = clients["write"].post(
        f"{BASE}/workflows", content=ON_EVENT, headers={"Content-Type": "text/yaml"}
    )
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    before = detections(served)
    findings = sorted((golden.FIXTURES / "findings" / "guardduty").glob("own-*.json"))[4:8]
    assert served.ingest([orjson.loads(path.read_bytes()) for path in findings]).status_code == 202
    new = wait_for(lambda: detections(served) - before)

    def events() -> list[str]:
        answer = clients["read"].get(f"{BASE}/executions", params={"workflow": workflow_id}).json()
        records = [clients["read"].get(f"{BASE}/executions/{r['id']}").json() for r in answer["results"]]
        assert all(r["triggerType"] == "Event" and r["state"] in ("RUNNING", "SUCCESS") for r in records)
        done = [r for r in records if r["state"] == "SUCCESS"]
        for record in done:
            assert record["tasks"]["look"]["result"]["records"] == [
                {"event.id": record["eventContext"]["event.id"]}
            ]
        return [r["eventContext"]["event.id"] for r in done]

    wait_for(lambda: len(events()) >= len(new))
    assert sorted(events()) == sorted(new)  # each new detection once, nothing older
    assert served.ingest([orjson.loads(path.read_bytes()) for path in findings]).status_code == 202  # again
    time.sleep(1.5)
    assert sorted(events()) == sorted(new)  # duplicates are not new events: nothing runs twice


def test_the_service_runs_a_missed_schedule_once(tmp_path: Path) -> None:
    """A workflow saved an hour ago whose schedule never ran: the service's scheduler runs it once on start,
    not once per missed slot, and a restart does not run the same slot again."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    state = open_state(data_dir)
    try:
        saved = datetime.now(UTC) - timedelta(hours=1)
        state.workflows.put_workflow("sched-1", read_document(SCHEDULED).value, saved)
    finally:
        state.close()

    def runs() -> list[dict[str, Any]]:
        state = open_state(data_dir)
        try:
            return state.workflows.list_executions("sched-1")
        finally:
            state.close()

    server = start_server(data_dir, "--no-samples")
    try:
        found = wait_for(lambda: [r for r in runs() if r["state"] != "RUNNING"])
        assert [(r["triggerType"], r["state"]) for r in found] == [("Schedule", "SUCCESS")]
    finally:
        assert server.stop() == 0
    first = datetime.fromisoformat(found[0]["startedAt"])
    now = datetime.now(UTC)
    if now.replace(second=0, microsecond=0) == first.replace(second=0, microsecond=0) and now.second < 50:
        # the next slot is not due yet: a restart runs nothing
        server = start_server(data_dir, "--no-samples")
        try:
            time.sleep(1.0)
            assert len(runs()) == 1
        finally:
            assert server.stop() == 0
