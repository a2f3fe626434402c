from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

pytest.importorskip("threatlake.query", reason="the DQL compiler (threatlake.query) is not available")

from threatlake.cli import ingest as ingest_command
from threatlake.cli import main
from threatlake.cli.query import parse_time
from threatlake.errors import ConfigError

RECEIVED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
WINDOW = ["--from", "2026-01-01T00:00:00Z", "--to", "2026-01-03T00:00:00Z"]
DQL = "fetch security.events | fields finding.id, event.provider | sort finding.id"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.setattr(ingest_command, "received_at", lambda: RECEIVED_AT)
    findings = tmp_path / "custom.ndjson"
    findings.write_text('{"id": "b", "note": "second"}\n{"id": "a"}\n')
    assert main(["ingest", "--data-dir", str(tmp_path / "data"), str(findings)]) == 0
    capsys.readouterr()
    return tmp_path / "data"


def _query(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str]:
    code = main(["query", "--data-dir", str(data_dir), *args])
    return code, capsys.readouterr().out


def test_json_prints_the_api_result(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _query(capsys, data_dir, *WINDOW, "--format", "json", DQL)
    result = orjson.loads(out)
    assert code == 0
    assert result["records"] == [
        {"finding.id": "a", "event.provider": "Custom"},
        {"finding.id": "b", "event.provider": "Custom"},
    ]
    assert set(result) == {"records", "types", "metadata"}
    assert result["metadata"]["grail"]["analysisTimeframe"]["start"].startswith("2026-01-01T00:00:00")


def test_ndjson_csv_and_table(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _query(capsys, data_dir, *WINDOW, "--format", "ndjson", DQL)[1].splitlines() == [
        '{"finding.id":"a","event.provider":"Custom"}',
        '{"finding.id":"b","event.provider":"Custom"}',
    ]
    assert _query(capsys, data_dir, *WINDOW, "--format", "csv", DQL)[1].splitlines() == [
        "finding.id,event.provider",
        "a,Custom",
        "b,Custom",
    ]
    table = _query(capsys, data_dir, *WINDOW, DQL)[1].splitlines()
    assert table[0].split() == ["finding.id", "event.provider"]
    assert table[2].split() == ["a", "Custom"]
    assert table[-1] == "(2 records)"


def test_default_timeframe_is_the_last_two_hours(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The events were received in January 2026, long before "now": a query without a timeframe sees none.
    assert _query(capsys, data_dir, "--format", "ndjson", DQL) == (0, "")


def test_bad_query_and_bad_time_exit_2(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--data-dir", str(data_dir), "fetch security.events | filtr x"]) == 2
    assert "Unknown command 'filtr'" in capsys.readouterr().err
    assert main(["query", "--data-dir", str(data_dir), "--from", "yesterday", DQL]) == 2
    assert "not a time" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", datetime(2026, 5, 10, 12, tzinfo=UTC)),
        ("-7d", datetime(2026, 5, 3, 12, tzinfo=UTC)),
        ("now()-2h", datetime(2026, 5, 10, 10, tzinfo=UTC)),
        ("2026-05-01T00:00:00Z", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T02:00:00+02:00", datetime(2026, 5, 1, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text, datetime(2026, 5, 10, 12, tzinfo=UTC)) == expected


def test_parse_time_rejects_words() -> None:
    with pytest.raises(ConfigError):
        parse_time("last tuesday", datetime(2026, 5, 10, tzinfo=UTC))


def test_a_relative_time_may_follow_from_as_its_own_word(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--from -400d`` (the form the help shows) works like ``--from=-400d``: taken as a value."""
    joined = _query(capsys, data_dir, "--from=-400d", "--format", "ndjson", DQL)
    spaced = _query(capsys, data_dir, "--from", "-400d", "--to", "-1d", "--format", "ndjson", DQL)
    assert joined == spaced and joined[0] == 0 and len(joined[1].splitlines()) == 2
    assert main(["query", "--data-dir", str(data_dir), "--from", "-1d", DQL]) == 0
    assert capsys.readouterr().out.strip() == "(no records)"
