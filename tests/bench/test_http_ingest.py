"""``bench/http_ingest.py --paced``: the maximum rate of a real server, then 80 % of it, p50/p99 there."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from tests.bench.conftest import ROOT, RunBench

PHASE = re.compile(
    r"^ +(?P<label>max|80% of max|1 client): +(?P<rate>[\d,]+) findings/s acknowledged \(durable 202\)"
    r"(?: \(target (?P<target>[\d,]+): each client every (?P<every>\d+) ms\))?, (?P<requests>\d+) requests, "
    r"refused: none; latency p50 [\d,]+ ms, p99 [\d,]+ ms$"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_max_then_paced_at_80_percent(run_bench: RunBench) -> None:
    output = run_bench(
        "http_ingest.py", "--seconds", "1.5", "--clients", "2", "--batch", "5", "--paced", "0.8",
        "--port", str(_free_port()),
    )  # fmt: skip
    phases = [match for line in output.splitlines() if (match := PHASE.match(line))]
    assert [match["label"] for match in phases] == ["max", "80% of max"], output
    fastest, paced = phases
    assert fastest["target"] is None and int(fastest["requests"]) > 0
    # the pace comes from the measured maximum: 80 % of it, each of the 2 clients posting on a schedule
    rate = float(fastest["rate"].replace(",", ""))
    target = float(paced["target"].replace(",", ""))
    assert abs(target - 0.8 * rate) <= 0.01 * rate + 1, (target, rate)
    assert int(paced["every"]) > 0 and int(paced["requests"]) > 0
    assert "1.00x of map_workers=0" in output


CPU = re.compile(
    r"^  CPU per finding: server (?P<server>[\d,]+) µs, map workers (?P<workers>[\d,]+) µs, clients "
    r"(?P<clients>[\d,]+) µs; total (?P<total>[\d,]+) µs -> (?P<cores>\d+) cores allow (?P<ceiling>[\d,]+) "
    r"findings/s at this cost \((?P<reached>[\d.]+)x of it reached\)$",
    re.M,
)


def test_cpu_per_finding_and_one_client_alone(run_bench: RunBench) -> None:
    output = run_bench(
        "http_ingest.py", "--seconds", "1.5", "--clients", "2", "--batch", "5", "--lone",
        "--map-workers", "1", "--port", str(_free_port()),
    )  # fmt: skip
    phases = [match["label"] for line in output.splitlines() if (match := PHASE.match(line))]
    assert phases == ["max", "1 client"], output
    lines = list(CPU.finditer(output))
    assert len(lines) == 2, output  # one after each phase
    for line in lines:
        server, workers, clients, total = (
            int(line[k].replace(",", "")) for k in ("server", "workers", "clients", "total")
        )
        assert server > 0 and workers > 0 and clients > 0, output  # map_workers=1: the worker maps
        assert abs(server + workers + clients - total) <= 3, output  # rounding of each part
        assert 0 < float(line["reached"]) <= 1.5, output


def test_code_alternates_source_trees(run_bench: RunBench, tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.symlink_to(ROOT, target_is_directory=True)  # a second tree (e.g. a worktree of main)
    output = run_bench(
        "http_ingest.py", "--seconds", "1", "--clients", "2", "--batch", "5", "--port", str(_free_port()),
        "--code", str(base), str(ROOT),
    )  # fmt: skip
    headers = re.findall(r"^2 clients, 5 events/request \(gzip\), map_workers=0, code (\S+)$", output, re.M)
    assert headers == [str(base), str(ROOT)], output
    compared = re.findall(rf"; code (\S+), ([\d.]+)x of {re.escape(str(base))}; load [\d. ]+$", output, re.M)
    assert [code for code, _ in compared] == [str(base), str(ROOT)] and compared[0][1] == "1.00"
