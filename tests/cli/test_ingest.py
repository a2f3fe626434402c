from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from threatlake.cli import ingest as ingest_command
from threatlake.cli import main
from threatlake.store.duckdb import DuckDBStore

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
FIXTURES = ROOT / "tests" / "fixtures" / "findings"
CORPORA = [pytest.param(path, id=path.name) for path in (SAMPLES, FIXTURES)]
RECEIVED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_receive_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Findings without a version time take the receive time (model.md §1), so their ids depend on it:
    # runs of the same input compare only when they were "received" at the same moment.
    monkeypatch.setattr(ingest_command, "received_at", lambda: RECEIVED_AT)


def _ingest(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["ingest", *args])
    return code, orjson.loads(capsys.readouterr().out)


def _stored_count(data_dir: Path) -> int:
    with DuckDBStore.in_dir(data_dir) as store:
        return int(store.execute("SELECT count(*) AS n FROM events").to_pylist()[0]["n"])


@pytest.mark.parametrize("corpus", CORPORA)
def test_ingest_agrees_with_map_and_is_idempotent(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not corpus.is_dir():
        pytest.skip(f"{corpus} is absent")
    main(["map", "--no-raw", str(corpus)])
    mapped = capsys.readouterr()
    events = [orjson.loads(line) for line in mapped.out.splitlines()]
    findings = int(mapped.err.rsplit("threatlake map: ", 1)[1].split(" findings")[0])
    rejected = mapped.err.count("rejected: ")

    code, first = _ingest(capsys, "--data-dir", str(tmp_path), str(corpus))
    assert code == (1 if rejected else 0)
    assert first["received"] == findings
    assert first["rejected"] == rejected == len(first["errors"])
    assert first["stored"] + first["duplicates"] == len(events)
    assert first["stored"] == len({event["event.id"] for event in events})

    code, second = _ingest(capsys, "--data-dir", str(tmp_path), str(corpus))
    assert second == {**first, "stored": 0, "duplicates": len(events)}
    assert _stored_count(tmp_path) == first["stored"]


def test_a_bad_file_among_good_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.ndjson"
    good.write_text('{"id": "one"}\n{"id": "two"}\n')
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "three"}, ')
    code, summary = _ingest(capsys, "--data-dir", str(tmp_path / "data"), str(bad), str(good), "missing.json")
    assert code == 1
    assert (summary["received"], summary["stored"], summary["rejected"]) == (2, 2, 2)
    assert summary["errors"][0].startswith(f"{bad}")
    assert summary["errors"][1] == "missing.json: cannot read: No such file or directory"
    assert _stored_count(tmp_path / "data") == 2


def test_data_dir_from_environment_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    finding = tmp_path / "f.json"
    finding.write_text('{"id": "one"}')
    monkeypatch.setenv("THREATLAKE_DATA_DIR", str(tmp_path / "env"))
    assert _ingest(capsys, str(finding))[1]["stored"] == 1
    assert _stored_count(tmp_path / "env") == 1
    monkeypatch.delenv("THREATLAKE_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    assert _ingest(capsys, str(finding))[1]["stored"] == 1
    assert _stored_count(tmp_path / "var") == 1


def test_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"id": "a"}\n{"id": "b"}\n')))
    code, summary = _ingest(capsys, "--data-dir", str(tmp_path), "-")
    assert (code, summary["received"], summary["stored"]) == (0, 2, 2)


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["ingest", "--no-such-option"])
    assert raised.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_a_real_process(tmp_path: Path) -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} is absent")
    command = [sys.executable, "-m", "threatlake", "ingest", "--data-dir", str(tmp_path), str(SAMPLES)]
    done = subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
    summary = orjson.loads(done.stdout)
    assert done.returncode == (1 if summary["rejected"] else 0), done.stderr
    assert summary["stored"] > 0
    assert set(summary) == {"received", "stored", "duplicates", "rejected", "errors"}
    assert _stored_count(tmp_path) == summary["stored"]  # durable once the process has exited
