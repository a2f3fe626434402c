"""``threatlake serve``: the first start prints secrets once and loads samples; later starts print none."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import start_server


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
