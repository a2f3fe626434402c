"""``threatlake bucket``: create, list, sweep and delete, against a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests.store.conftest import make_event
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
