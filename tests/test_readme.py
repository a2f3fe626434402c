"""The README's tour, pasted into a shell as a newcomer would, against a real ``threatlake serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOUR = re.compile(r"## A short tour.*?```sh\n(.*?)```", re.S)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(data_dir: Path) -> None:
    try:
        pid = int(json.loads((data_dir / "service.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return
    os.kill(pid, signal.SIGTERM)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the tour uses curl, which is not installed")
def test_the_tour_runs_verbatim_and_ends_with_the_ingested_finding(tmp_path: Path) -> None:
    match = TOUR.search((ROOT / "README.md").read_text())
    assert match is not None, "README.md has no ```sh block under '## A short tour'"
    data_dir = tmp_path / "var"
    env = {**os.environ, "THREATLAKE_PORT": str(_free_port()), "THREATLAKE_DATA_DIR": str(data_dir)}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    # files, not pipes: the service the tour starts in the background keeps its output open
    with out.open("w") as stdout, err.open("w") as stderr:
        try:
            returncode = subprocess.run(
                ["bash", "-e", "-c", match.group(1)],
                cwd=ROOT,
                env=env,
                stdout=stdout,
                stderr=stderr,
                timeout=300,
                check=False,
            ).returncode
        finally:
            _stop(data_dir)
    printed = out.read_text()
    assert returncode == 0, printed + err.read_text()
    assert '"stored":1' in printed, printed
    found = re.search(r"^(tour-\d+)\s+Command and control activity$", printed, re.M)
    assert found is not None, printed  # the last query shows the finding the tour ingested
    assert "admin password:" in printed  # the first start printed its secrets, once the port was bound
