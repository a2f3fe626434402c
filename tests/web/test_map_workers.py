"""``map_workers``: decode + map in worker processes gives the answers of the in-process path."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tests.web.conftest import SAMPLES, Server, sample_files, start_server
from threatlake.errors import BodyTooLargeError, RequestError, SourceError
from threatlake.service.ingest import MapWorkers

TEMPLATE = orjson.loads((SAMPLES / "guardduty" / "eventbridge-instance-c2-network.json").read_bytes())


def _located(reason: str) -> None:
    raise SourceError(reason, "detail.findings[3]", offset=17)


def _too_large(count: int) -> None:
    raise BodyTooLargeError(f"The body holds {count} findings", {"findings": count, "limit": 10})


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def _dies_unless_in(parent: int) -> int:
    if os.getpid() != parent:
        os._exit(3)  # the worker dies under this work
    return 42


@pytest.fixture(scope="module")
def workers() -> Iterator[MapWorkers]:
    pool = MapWorkers(1)
    yield pool
    pool.close()


def test_work_runs_in_another_process(workers: MapWorkers) -> None:
    pid, doubled = workers.run(_pid_and, 21).result(timeout=120)
    assert doubled == 42 and pid != os.getpid()


def test_errors_come_back_as_raised_with_their_attributes(workers: MapWorkers) -> None:
    error = workers.run(_located, "expected a string").exception(timeout=120)
    assert type(error) is SourceError
    assert (error.reason, error.location, error.offset) == ("expected a string", "detail.findings[3]", 17)
    assert str(error) == "detail.findings[3]: expected a string"
    large = workers.run(_too_large, 12).exception(timeout=120)
    assert type(large) is BodyTooLargeError and isinstance(large, RequestError)
    assert large.details == {"findings": 12, "limit": 10} and large.message == "The body holds 12 findings"


def test_a_worker_dying_under_work_costs_no_request() -> None:
    pool = MapWorkers(1)
    try:
        assert pool.run(_dies_unless_in, os.getpid()).result(timeout=120) == 42  # done here instead
        pid, _ = pool.run(_pid_and, 1).result(timeout=120)  # and the pool was replaced
        assert pid != os.getpid()
    finally:
        pool.close()


def _answers(server: Server, bodies: list[bytes]) -> list[tuple[int, dict[str, object]]]:
    answers = []
    for body in bodies:
        response = server.ingest(body)
        payload = response.json()
        payload.get("error", {}).pop("requestId", None)
        answers.append((response.status_code, payload))
    return answers


def _bodies() -> list[bytes]:
    good = [orjson.loads(path.read_bytes()) for path in sample_files()[:6]]
    bad = {**TEMPLATE, "detail": {**TEMPLATE["detail"], "id": 5, "severity": "very"}}
    return [
        orjson.dumps(good),
        orjson.dumps([*good[:2], bad, "text", {"detail-type": "GuardDuty Finding"}]),
        b'[{"a": 1}, ',  # not JSON: a 400 naming the byte offset
        b"[" + b"[" * 80 + b"]" * 80 + b"]",  # too deep
        orjson.dumps([TEMPLATE] * 11),  # over max_findings_per_request
        b"[]",
    ]


def test_a_server_with_map_workers_answers_as_one_without(tmp_path: Path) -> None:
    env = {"THREATLAKE_MAX_FINDINGS_PER_REQUEST": "10"}
    plain = start_server(tmp_path / "plain", "--no-samples", env=env)
    pooled = start_server(tmp_path / "pooled", "--no-samples", env={**env, "THREATLAKE_MAP_WORKERS": "2"})
    try:
        bodies = _bodies()
        expected = _answers(plain, bodies)
        assert [status for status, _ in expected] == [202, 202, 400, 400, 413, 400]
        assert _answers(pooled, bodies) == expected
        assert pooled.count() == plain.count() > 0
        events = "fetch security.events | sort event.id | fields event.id, dt.raw_data, finding.title"
        assert pooled.query(events)["records"] == plain.query(events)["records"]
    finally:
        plain.stop()
        pooled.stop()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_map_workers_exit_when_the_service_is_killed(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", "--no-samples", env={"THREATLAKE_MAP_WORKERS": "2"})
    assert server.ingest([TEMPLATE]).status_code == 202  # the pool is started by the first request
    workers = {pid for pid in _children(server.process.pid) if _is_python(pid)}
    assert workers, "no map worker process was started"
    server.stop(signal.SIGKILL)
    deadline = time.monotonic() + 60  # a liveness bound, not a speed: they poll their parent every second
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers), "a map worker outlived the killed service"


def _is_python(pid: int) -> bool:
    try:
        return b"python" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited


PIPELINE = """
name: vulns
endpoint: vulns
processors:
  - type: drop
    condition: dt.security.risk.level == "NONE" or dt.security.risk.level == "LOW"
  - type: fieldsAdd
    fields:
      team: concat("sec-", lower(dt.security.risk.level))
"""
ROWS = (
    'SELECT "event.id", "dt.system.bucket", "dt.security.risk.level", "finding.title", "dt.raw_data", extra '
    'FROM events ORDER BY "event.id"'
)


def _in_process(data_dir: Path, workers: int) -> list[tuple[int, dict[str, object]]]:
    """The answers of one app (``map_workers`` = ``workers``) to overlapping and bad bodies on the built-in
    endpoint (rows prepared in the worker) and a custom one with a pipeline (rows prepared here), and the
    rows it stored."""
    from tests import golden
    from tests.web.fakes import AppClient
    from threatlake.config import Config
    from threatlake.service.access import create_token
    from threatlake.state import open_state
    from threatlake.store import open_store
    from threatlake.web import create_app

    store, state = open_store(data_dir), open_state(data_dir)
    state.pipelines.put("vulns", PIPELINE)
    now = datetime.now(UTC)
    scopes = ["openpipeline.events_security", "openpipeline.events_security.custom"]
    token = create_token(state, scopes, now=now)[1]
    headers = {"Authorization": f"Api-Token {token}", "Content-Type": "application/json"}
    findings = [orjson.loads(path.read_bytes()) for path in golden.inputs() if path.suffix == ".json"][:24]
    bad = {**TEMPLATE, "detail": {**TEMPLATE["detail"], "id": 5}}
    bodies = [findings[:10], findings[5:15], [*findings[12:20], bad, "text"], findings[15:24]]
    answers: list[tuple[int, dict[str, object]]] = []
    try:
        with AppClient(create_app(Config(data_dir=data_dir, map_workers=workers), store, state)) as client:
            for path in (
                "/platform/ingest/v1/security.events",
                "/platform/ingest/custom/security.events/vulns",
            ):
                for body in bodies:
                    response = client.post(path, content=orjson.dumps(body), headers=headers)
                    answers.append((response.status_code, response.json()))
            client.app.state.services.ingest.close()
        answers.append((0, {"rows": store.execute(ROWS).to_pylist()}))
    finally:
        store.close()
        state.close()
    return answers


def test_rows_prepared_in_a_map_worker_store_what_the_service_would(tmp_path: Path) -> None:
    expected = _in_process(tmp_path / "plain", 0)
    assert [status for status, _ in expected[:-1]] == [202] * 8
    counts = [(body["stored"], body["duplicates"], body["rejected"]) for _, body in expected[:4]]
    assert counts[0][0] > 0 and counts[1][1] > 0 and counts[2][2] >= 1  # new, repeated, rejected
    assert any(body["dropped"] for _, body in expected[4:8])  # the pipeline dropped some
    assert _in_process(tmp_path / "pooled", 1) == expected
