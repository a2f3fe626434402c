"""Runs a benchmark script as the documentation shows it, at a tiny size, in a process of its own (chDB runs
one engine per process), and hands back what it printed. The smoke tests check the table's shape and the
answers it asserts, never its timings."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")

RunBench = Callable[..., str]


@pytest.fixture
def run_bench(tmp_path: Path) -> RunBench:
    def run(script: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / script), *args, "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    return run


@pytest.fixture
def chdb() -> None:
    pytest.importorskip("chdb", reason="chdb (the ClickHouse engine in-process) cannot be imported")
