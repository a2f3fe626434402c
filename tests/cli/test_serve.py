"""``threatlake serve``: the first start prints secrets once (after the port is bound) and loads samples;
later starts print none; a second ``serve`` on one data directory is refused at once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.web.conftest import free_port, start_server


def test_first_start_then_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, env={"THREATLAKE_ADMIN_PASSWORD": "correct horse"})
    try:
        assert "admin password: (from THREATLAKE_ADMIN_PASSWORD)" in server.first_start
        assert server.ingest_token.startswith("tl0c01.")
        samples = server.count()
        assert samples > 50  # the bundled samples
        assert server.client().get("/healthz").json() == {"status": "ok"}
        assert server.client().get("/readyz").status_code == 200
        metrics = server.client().get("/metrics").text
        assert "threatlake_writer_queue_batches" in metrics
        assert "threatlake_latest_lag_seconds" in metrics
    finally:
        assert server.stop() == 0
    again = start_server(data)
    try:
        assert again.count() == samples
    finally:
        assert again.stop() == 0
    assert again.stdout_rest == ""
    logs = again.log.read_text()
    assert "tl0c01." not in logs and "correct horse" not in logs


def test_generated_password_and_no_samples(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", "--no-samples", env={"THREATLAKE_ADMIN_PASSWORD": ""})
    try:
        password = next(
            line.split()[-1] for line in server.first_start.splitlines() if "admin password" in line
        )
        assert len(password) >= 16
        assert server.count() == 0
    finally:
        assert server.stop() == 0


def _serve(data: Path, port: int, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "threatlake", "serve", "--data-dir", str(data), "--port", str(port)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def test_a_busy_port_fails_before_any_secret_and_the_next_start_prints_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        failed = _serve(data, port)
    assert failed.returncode == 2
    assert failed.stdout == ""  # no secret shown for a start that cannot serve
    (line,) = failed.stderr.splitlines()
    assert line.startswith(f"threatlake serve: cannot listen on 127.0.0.1:{port}: ")
    assert "--port" in line and "Traceback" not in failed.stderr
    server = start_server(data, "--no-samples")  # still a first start: the secrets come now
    try:
        assert "admin password:" in server.first_start
        assert server.ingest_token.startswith("tl0c01.")
    finally:
        assert server.stop() == 0


def test_a_second_serve_on_one_data_directory_exits_at_once_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, "--no-samples")
    try:
        second = _serve(data, free_port(), timeout=30)
        assert second.returncode == 2
        assert second.stderr.splitlines() == [
            f"threatlake serve: Threatlake already serves the data directory {data} at {server.url}; "
            "stop that one first, or use it (commands find it by themselves)"
        ]
        assert server.client().get("/healthz").status_code == 200  # the first one is untouched
    finally:
        assert server.stop() == 0


def test_a_store_held_by_another_process_names_it_and_keeps_the_first_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    script = (
        "import sys, time; from threatlake.store.duckdb import DuckDBStore; "
        "store = DuckDBStore.in_dir(sys.argv[1]); print('ready', flush=True); time.sleep(60)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, str(data)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
            failed = _serve(data, free_port())
        finally:
            holder.kill()
    assert failed.returncode == 2 and failed.stdout == ""
    (line,) = failed.stderr.splitlines()
    assert f"is in use by another process (PID {holder.pid}, python" in line
    assert "Could not set lock" not in line
    server = start_server(data, "--no-samples")
    try:
        assert "admin password:" in server.first_start
    finally:
        assert server.stop() == 0


def test_a_stale_service_file_whose_pid_lives_on_does_not_block_a_start(tmp_path: Path) -> None:
    """A killed service leaves ``service.json``; its PID may belong to another process by now."""
    data = tmp_path / "data"
    data.mkdir()
    stale = {"url": f"http://127.0.0.1:{free_port()}", "pid": os.getpid()}  # alive, but serves nothing
    (data / "service.json").write_text(json.dumps(stale))
    server = start_server(data, "--no-samples")
    try:
        assert server.client().get("/healthz").status_code == 200
        assert json.loads((data / "service.json").read_text())["url"] == server.url
    finally:
        assert server.stop() == 0
