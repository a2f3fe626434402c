"""``threatlake demo``: the first start's demo data lives in the present and goes in one command, also while
the service runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import EXECUTE, start_server
from threatlake.cli import main
from threatlake.service.demo import DEMO_BUCKET
from threatlake.store.duckdb import DuckDBStore

LEGACY = (
    'fetch events | filter dt.system.bucket == "default_security_custom_events"'
    ' | filter event.kind == "SECURITY_EVENT" AND event.provider=="Amazon GuardDuty"'
    ' AND event.type=="DETECTION_FINDING"'
)


def _count(data: Path) -> int:
    with DuckDBStore.in_dir(data) as store:
        return int(store.execute("select count(*) as n from events").to_pylist()[0]["n"])


def test_load_and_remove_with_the_service_stopped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = ["--data-dir", str(tmp_path)]
    assert main(["demo", "load", *flags]) == 0
    loaded = _count(tmp_path)
    assert loaded > 50
    assert f"demo data loaded: {loaded} events in bucket '{DEMO_BUCKET}'" in capsys.readouterr().err
    assert main(["demo", "remove", *flags]) == 0
    assert f"demo data removed: {loaded} events" in capsys.readouterr().err
    assert _count(tmp_path) == 0
    assert main(["demo", "remove", *flags]) == 0
    assert "no demo data" in capsys.readouterr().err


def test_a_first_start_shows_demo_rows_in_the_default_timeframe_then_remove_goes_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    server = start_server(data)  # a first start: demo data loaded
    try:
        reader = server.client(server.admin_token)
        answer = reader.post(EXECUTE, json={"query": "fetch security.events | fields dt.system.bucket"})
        recent = answer.json()["result"]["records"]  # the default timeframe: the last 2 hours
        assert len(recent) > 50
        assert {record["dt.system.bucket"] for record in recent} == {DEMO_BUCKET}
        legacy = server.query(LEGACY + " | fields event.id")["records"]
        assert legacy  # the older integration's verify query finds the demo detections

        own = server.ingest(
            (Path(__file__).parents[2] / "threatlake/samples/guardduty/eventbridge-instance-c2-network.json")
            .read_bytes()
            .replace(b"00000000000000000000000000000000", b"11111111111111111111111111111111")
        )
        assert own.json()["stored"] == 1
        total = server.count()

        assert main(["demo", "remove", "--data-dir", str(data)]) == 0
        assert f"demo data removed: {total - 1} events" in capsys.readouterr().err
        assert server.count() == 1  # only the demo data went
        assert main(["demo", "load", "--data-dir", str(data)]) == 2
        assert "stop it to load the demo data again" in capsys.readouterr().err
    finally:
        assert server.stop() == 0
    again = start_server(data)  # not a first start: the demo data does not come back
    try:
        assert again.count() == 1
    finally:
        assert again.stop() == 0
