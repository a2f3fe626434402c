"""``query`` and ``ingest`` while ``threatlake serve`` holds the store: they go through the service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tests import golden
from tests.web.conftest import Server, start_server
from threatlake.cli import main
from threatlake.cli.remote import TEMPORARY_GRACE_SECONDS, ServiceClient
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.service.announce import SERVICE_FILE, running_service
from threatlake.state import open_state

FILES = sorted((golden.FIXTURES / "findings" / "guardduty").glob("own-*.json"))[:6]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("served") / "data", "--no-samples")
    yield server
    server.stop()


def test_the_service_announces_itself_while_it_runs(served: Server) -> None:
    assert running_service(served.data_dir) == served.url
    assert (served.data_dir / SERVICE_FILE).exists()


def test_ingest_then_query_through_the_service(served: Server, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(served.data_dir)
    assert main(["ingest", "--data-dir", data, *map(str, FILES)]) == 0
    summary = orjson.loads(capsys.readouterr().out)
    ctx = IngestContext(received_at=datetime.now(UTC))
    expected = {e["event.id"] for path in FILES for e in map_bytes(path.read_bytes(), ctx, path.name).events}
    assert (summary["received"], summary["stored"], summary["rejected"]) == (len(FILES), len(expected), 0)

    assert main(["ingest", "--data-dir", data, *map(str, FILES)]) == 0  # idempotent, through the service too
    assert orjson.loads(capsys.readouterr().out)["duplicates"] == len(expected)

    query = "fetch security.events, from:-36500d | fields event.id, dt.openpipeline.source"
    assert main(["query", "--data-dir", data, "--format", "ndjson", query]) == 0
    records = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["event.id"] for r in records} == expected
    assert {r["dt.openpipeline.source"] for r in records} == {"/platform/ingest/v1/security.events"}


def test_rejections_are_located_in_the_files(
    served: Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "mixed.json"
    good = orjson.loads(FILES[0].read_bytes())
    bad.write_bytes(orjson.dumps([good, {**good, "resource": "not an object"}]))
    assert main(["ingest", "--data-dir", str(served.data_dir), str(bad)]) == 1
    summary = orjson.loads(capsys.readouterr().out)
    assert summary["rejected"] == 1
    assert summary["errors"][0].startswith(f"{bad} [1].resource")


def test_query_errors_and_temporary_tokens(served: Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--data-dir", str(served.data_dir), "fetch security.events | filtr x"]) == 2
    assert "did you mean 'filter'" in capsys.readouterr().err
    settings = open_state(served.data_dir)
    try:
        temporary = [t for t in settings.tokens.list() if t.name == "cli (temporary)"]
        assert temporary and all(t.revoked for t in temporary)
    finally:
        settings.close()


def test_the_announcement_is_gone_once_the_service_stops(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", "--no-samples")
    assert running_service(server.data_dir) == server.url
    assert server.stop() == 0
    assert not (server.data_dir / SERVICE_FILE).exists()
    assert running_service(server.data_dir) is None


def test_a_temporary_token_expires_on_its_own(served: Server) -> None:
    before = datetime.now(UTC)
    client = ServiceClient(served.data_dir, served.url, "storage:security.events:read", timeout=30)
    state = open_state(served.data_dir)
    try:
        record = next(t for t in state.tokens.list() if t.name == "cli (temporary)" and t.revoked is None)
        assert record.expires is not None
        expires = datetime.fromisoformat(record.expires.replace("Z", "+00:00"))
        assert timedelta(seconds=60) < expires - before <= timedelta(seconds=30 + TEMPORARY_GRACE_SECONDS + 5)
    finally:
        client.__exit__(None, None, None)
        state.close()
