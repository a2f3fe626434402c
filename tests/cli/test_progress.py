"""Progress on standard error: a bar on a terminal, plain lines elsewhere; ``ingest`` of several files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from threatlake.cli import main
from threatlake.cli.progress import Progress


def test_plain_lines_off_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(stream) as progress:
        assert not progress.terminal
        progress.task("backfill guardduty us-east-1")
        progress.say("Reading GuardDuty detectors in us-east-1")
        progress.advance(50, "50 findings fetched")
        progress.task("backfill guardduty eu-west-1")  # never advances: still gets its line
        progress.finish("0 findings fetched")
    assert stream.getvalue().splitlines() == [
        "Reading GuardDuty detectors in us-east-1 …",
        "backfill guardduty us-east-1: 50 findings fetched",
        "backfill guardduty eu-west-1: 0 findings fetched",
    ]


def test_a_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(stream, terminal=True) as progress:
        progress.task("ingest", 4)
        progress.say("Reading")
        for done in range(1, 5):
            progress.advance(1, f"{done} files")
    drawn = stream.getvalue()
    assert "\x1b[" in drawn and "\r" in drawn  # escape codes, redrawn in place
    assert "4/4" in drawn and "4 files" in drawn and "━" in drawn


def test_ingest_of_several_files_reports_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.ndjson").write_text(f'{{"id": "{name}"}}\n')
    assert main(["ingest", "--data-dir", str(tmp_path / "data"), str(folder)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split(",")[0] for line in err] == ["ingest: 1 file", "ingest: 2 files", "ingest: 3 files"]
    assert err[-1].endswith("last c.ndjson")
    # one file: no progress at all
    assert main(["ingest", "--data-dir", str(tmp_path / "data"), str(folder / "a.ndjson")]) == 0
    assert capsys.readouterr().err == ""
