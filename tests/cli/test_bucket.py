"""``threatlake bucket``: create, list, sweep and delete, against a real store or the running service."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.store.conftest import make_event
from tests.web.conftest import start_server
from threatlake.cli import main
from threatlake.store import open_store


def _lines(text: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def test_bucket_lifecycle_and_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["bucket", "create", "short", "--retention-days", "2", "--data-dir", data]) == 0
    assert main(["bucket", "list", "--data-dir", data]) == 0
    listed = {b["name"]: b["retentionDays"] for b in _lines(capsys.readouterr().out)}
    assert listed == {"default_securityevents": 365, "short": 2}

    now = datetime.now(UTC)
    old, fresh = (now - timedelta(days=3)).isoformat(), (now - timedelta(hours=1)).isoformat()
    store = open_store(data)
    store.write(
        [
            make_event("old-short", old, {"dt.system.bucket": "short"}),
            make_event("new-short", fresh, {"dt.system.bucket": "short"}),
            make_event("old-default", old),  # 3 days is within the default bucket's 365
        ]
    )
    store.close()
    assert main(["bucket", "sweep", "--data-dir", data]) == 0
    assert _lines(capsys.readouterr().out) == [{"deleted": 1}]
    store = open_store(data)
    left = {row["finding.id"] for row in store.execute('SELECT "finding.id" FROM events').to_pylist()}
    store.close()
    assert left == {"new-short", "old-default"}

    assert main(["bucket", "delete", "short", "--data-dir", data]) == 0
    assert main(["bucket", "list", "--data-dir", data]) == 0
    assert [b["name"] for b in _lines(capsys.readouterr().out)] == ["default_securityevents"]


@pytest.mark.parametrize(
    "argv",
    [
        ["bucket", "create", "bad name", "--retention-days", "3"],
        ["bucket", "create", "ok", "--retention-days", "0"],
        ["bucket", "delete", "default_securityevents"],
        ["bucket", "delete", "missing"],
    ],
)
def test_bad_bucket_commands_are_usage_errors(tmp_path: Path, argv: list[str]) -> None:
    assert main([*argv, "--data-dir", str(tmp_path)]) == 2


def test_buckets_through_the_running_service(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    server = start_server(data, "--no-samples")
    try:
        flags = ["--data-dir", str(data)]
        assert main(["bucket", "create", "short", "--retention-days", "2", *flags]) == 0
        assert "bucket 'short' created: events kept 2 days" in capsys.readouterr().err
        assert main(["bucket", "list", *flags]) == 0
        listed = {b["name"]: b["retentionDays"] for b in _lines(capsys.readouterr().out)}
        assert listed == {"default_securityevents": 365, "short": 2}
        assert (
            server.client(server.admin_token).get("/platform/buckets").json()["buckets"][1]["name"] == "short"
        )

        assert main(["bucket", "create", "short", "--retention-days", "2", *flags]) == 2
        assert "already exists" in capsys.readouterr().err
        assert main(["bucket", "create", "long", "--retention-days", "0", *flags]) == 2
        assert "'retentionDays' must be a whole number" in capsys.readouterr().err
        assert main(["bucket", "sweep", *flags]) == 2
        assert "sweeps it by itself every 3600 s" in capsys.readouterr().err

        assert main(["bucket", "delete", "short", *flags]) == 0
        assert "bucket 'short' deleted with its 0 events" in capsys.readouterr().err
        assert main(["bucket", "delete", "short", *flags]) == 2
        assert "no bucket 'short'" in capsys.readouterr().err
    finally:
        assert server.stop() == 0


def test_a_store_held_by_another_process_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from threatlake.store.duckdb import DuckDBStore; "
            "store = DuckDBStore.in_dir(sys.argv[1]); print('ready', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        assert main(["bucket", "list", "--data-dir", str(tmp_path)]) == 2
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    (line,) = capsys.readouterr().err.splitlines()
    assert f"is in use by another process (PID {holder.pid}, python" in line
    assert "stop that process or let it finish, then try again" in line
    assert "IO Error" not in line and "Could not set lock" not in line
