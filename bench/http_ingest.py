"""HTTP ingest benchmark: a real ``threatlake serve``, N concurrent clients posting gzip EventBridge batches.

Prints sustained findings/s acknowledged with a durable 202, p50/p99 request latency and the server's RSS,
for each number of events stored before the run (``--stored 0 1000000 5000000``: a store generated once
per size inside DuckDB, as ``bench/query.py`` makes it, and copied for each run) and each request size
(``--batch 100 500``), and each run's rate as a share of the empty store's with the same request size.
``--map-workers 0 2`` runs each setting of ``map_workers`` in turn, ``--rounds`` times alternated (A, B, A,
B, ...), and prints each run's rate against the first setting's in the same round.
``--paced 0.8`` then runs each server on at 80 % of the maximum it just measured: every client posts on a
fixed schedule, a request's latency counted from when it was due (a client that falls behind reports the
wait too), and prints p50/p99 there. ``--data-dir DIR`` keeps the generated stores for later runs.
``--code A B`` alternates servers running two source trees (each server imports ``threatlake`` from that
directory: e.g. a ``git worktree`` of main beside this branch), each run's rate printed against the first
tree's in the same round, with the load average at its end. ``--lone`` ends each server with one client
alone, back to back: a request's own latency with nothing queued before it (the floor under any p99).
After each phase a line gives the CPU time per acknowledged finding spent by the server, its map workers
and the clients (this process), and the rate the machine's cores would allow at that cost: where the
maximum is bound by CPU, not by waiting.
Usage: ``python bench/http_ingest.py [--seconds 30] [--clients 8] [--batch 100 500] [--stored 0 1000000]
[--map-workers 0 2] [--rounds 3] [--paced 0.8] [--lone] [--code DIR DIR] [--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores.duckdb import DuckDB
from threatlake.service.access import create_token
from threatlake.state import open_state

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "threatlake" / "samples"
INGEST = "/platform/ingest/v1/security.events"


def _templates() -> list[dict[str, Any]]:
    found = []
    for path in sorted(SAMPLES.rglob("*.json")):
        doc = orjson.loads(path.read_bytes())
        if isinstance(doc, dict) and "detail-type" in doc:
            found.append(doc)
    return found


def _vary(event: dict[str, Any], number: int) -> dict[str, Any]:
    copied = copy.deepcopy(event)
    detail = copied["detail"]
    for key in ("id", "Id"):
        if key in detail:
            detail[key] = f"{detail[key]}-{number}"
    for finding in detail.get("findings", []):
        finding["Id"] = f"{finding.get('Id', '')}-{number}"
    return copied


def _bodies(count: int, batch: int, first: int = 0) -> list[tuple[bytes, int]]:
    """``count`` gzip bodies of ``batch`` events, the findings' ids numbered from ``first`` on."""
    templates = _templates()
    bodies = []
    number = first
    for _ in range(count):
        events = []
        for _ in range(batch):
            events.append(_vary(templates[(number - first) % len(templates)], number))
            number += 1
        findings = sum(max(1, len(event["detail"].get("findings", []))) for event in events)
        bodies.append((gzip.compress(orjson.dumps(events), 6), findings))
    return bodies


def _rss_mib(pid: int) -> tuple[float, float]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def _client(
    url: str,
    token: str,
    *,
    bodies: list[tuple[bytes, int]],
    start: int,
    step: int,
    until: float,
    out: dict[str, Any],
    interval: float = 0.0,
) -> None:
    """Post bodies until ``until``: back to back, or one every ``interval`` seconds (paced).

    A paced request's latency counts from when it was due, not when it went out, so a client that falls
    behind reports the wait too (no coordinated omission).
    """
    headers = {
        "Authorization": f"Api-Token {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    index = start
    due = time.perf_counter() + interval * start / step  # paced clients start spread over one interval
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        while (now := time.perf_counter()) < until and due < until:
            if interval:
                await asyncio.sleep(max(0.0, due - now))
            sent = due if interval else time.perf_counter()
            due += interval
            body, findings = bodies[index % len(bodies)]
            index += step
            response = await client.post(INGEST, content=body, headers=headers)
            out["latencies"].append(time.perf_counter() - sent)
            if response.status_code == 202:
                out["findings"] += findings
            else:
                out["refused"][response.status_code] = out["refused"].get(response.status_code, 0) + 1


async def _warm(url: str, headers: dict[str, str], body: bytes, clients: int) -> None:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as client:
        await asyncio.gather(*(client.post(INGEST, content=body) for _ in range(clients)))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(server: int) -> dict[str, float]:
    """CPU seconds so far of the server, its children (the map workers) and this process (the clients)."""
    return {
        "server": _cpu_seconds(server),
        "map workers": sum(_cpu_seconds(child) for child in _children(server)),
        "clients": _cpu_seconds(os.getpid()),
    }


def _cpu_line(before: dict[str, float], after: dict[str, float], findings: int, rate: float) -> str:
    """CPU per acknowledged finding by process, and the rate the machine's cores allow at that cost."""
    if not findings:
        return "  CPU per finding: no finding acknowledged"
    used = {name: (after[name] - before[name]) * 1e6 / findings for name in before}
    total = sum(used.values())
    cores = os.cpu_count() or 1
    ceiling = cores * 1e6 / total if total else 0.0
    parts = ", ".join(f"{name} {micros:,.0f} µs" for name, micros in used.items())
    reached = f" ({rate / ceiling:.2f}x of it reached)" if ceiling else ""
    return (
        f"  CPU per finding: {parts}; total {total:,.0f} µs -> {cores} cores allow "
        f"{ceiling:,.0f} findings/s at this cost{reached}"
    )


def _template(root: Path, stored: int) -> Path | None:
    """A data directory holding ``stored`` generated events with ``latest`` folded (None for none)."""
    if not stored:
        return None
    engine = DuckDB(root)  # made once under ``root`` and reused while its count matches
    return root / engine.generated_name(stored)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, nargs="+", default=[100], help="EventBridge events per request")
    parser.add_argument("--stored", type=int, nargs="+", default=[0], help="events stored before a run")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--map-workers", type=int, nargs="+", default=[0], help="map_workers settings, A/B")
    parser.add_argument("--rounds", type=int, default=1, help="times each setting runs, alternated")
    parser.add_argument(
        "--paced",
        type=float,
        default=0.0,
        help="after the maximum rate, run at this share of it (e.g. 0.8) and print p50/p99 there",
    )
    parser.add_argument(
        "--lone",
        action="store_true",
        help="then one client alone, back to back: the latency of a request with nothing queued before it",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="keep the generated stores here, reuse them"
    )
    parser.add_argument(
        "--code", type=Path, nargs="+", default=[ROOT], help="source trees whose server to run, alternated"
    )
    args = parser.parse_args()
    rates: dict[tuple[int, int, int, Path, int], float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for stored in args.stored:
            template = _template(args.data_dir or Path(scratch), stored)
            for batch in args.batch:
                for turn in range(args.rounds):
                    for workers in args.map_workers:
                        for code in args.code:
                            rate = _run(args, batch, template, workers, code)
                            rates[stored, batch, workers, code, turn] = rate
                            _compared(args, rates, (stored, batch, workers, code, turn))
    return 0


def _compared(
    args: argparse.Namespace,
    rates: dict[tuple[int, int, int, Path, int], float],
    key: tuple[int, int, int, Path, int],
) -> None:
    """A run's rate against the empty store's, the first ``map_workers`` setting's and the first tree's."""
    stored, batch, workers, code, turn = key
    rate = rates[key]
    empty = rates.get((0, batch, workers, code, turn))
    share = f"  ({rate / empty:.2f}x of the empty store)" if empty and stored else ""
    first = rates[stored, batch, args.map_workers[0], code, turn]
    against = f", {rate / first:.2f}x of map_workers={args.map_workers[0]}"
    tree = ""
    if len(args.code) > 1:
        base = rates[stored, batch, workers, args.code[0], turn]
        tree = f"; code {code}, {rate / base:.2f}x of {args.code[0]}"
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"stored before: {stored:,}{share}; map_workers={workers}{against}{tree}; load {' '.join(load)}\n")


def _run(
    args: argparse.Namespace, batch: int, template: Path | None, workers: int = 0, code: Path = ROOT
) -> float:
    """One server: the maximum rate (clients back to back), then with ``--paced`` that share of it."""
    *bodies, warm_up = _bodies(max(200, int(args.seconds * 40)) + 1, batch)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        if template is not None:
            shutil.copytree(template, data)
        settings = open_state(data)
        _, token = create_token(settings, ["openpipeline.events_security"], now=datetime.now(UTC))
        settings.users.create(
            "admin", "bench", now=datetime.now(UTC), role="admin"
        )  # not a first start: no samples
        settings.close()
        server = subprocess.Popen(
            [sys.executable, "-m", "threatlake", "serve", "--data-dir", str(data), "--port", str(args.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=code,
            env={
                "THREATLAKE_LOG_LEVEL": "WARNING",
                "PATH": "/usr/bin:/bin",
                "THREATLAKE_MAP_WORKERS": str(workers),
                "PYTHONPATH": str(code),
            },
        )
        url = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(1200):  # a large store takes a while to open
                try:
                    if httpx.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            headers = {
                "Authorization": f"Api-Token {token}",
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            }
            # One write before the clock starts: the first loads the store's id index (seconds at 5M); then
            # one per client at once, which starts every map worker.
            httpx.post(f"{url}{INGEST}", content=warm_up[0], headers=headers, timeout=300).raise_for_status()
            asyncio.run(_warm(url, headers, warm_up[0], args.clients))
            print(
                f"{args.clients} clients, {batch} events/request (gzip), map_workers={workers}, code {code}"
            )
            rate = _phase(args, url, server.pid, token=token, bodies=bodies, interval=0.0, label="max")
            if args.paced:
                per_request = sum(findings for _, findings in bodies) / len(bodies)
                requests = args.paced * rate / per_request  # per second, all clients together
                fresh = _bodies(int(requests * args.seconds * 1.2) + args.clients, batch, first=10**8)
                _phase(
                    args,
                    url,
                    server.pid,
                    token=token,
                    bodies=fresh,
                    interval=args.clients / requests,
                    label=f"{args.paced:.0%} of max",
                )
            if args.lone:  # one request at a time: a request's own latency, nothing queued before it
                lone = _bodies(max(20, int(args.seconds * 4)), batch, first=2 * 10**8)
                _phase(
                    args, url, server.pid, token=token, bodies=lone, interval=0.0, label="1 client", clients=1
                )
            rss, peak = _rss_mib(server.pid)
            children = sum(_rss_mib(child)[0] for child in _children(server.pid))
        finally:
            server.terminate()
            server.wait(60)
    print(f"  server RSS: {rss:.0f} MiB (peak {peak:.0f} MiB); map workers ({workers}): {children:.0f} MiB")
    return rate


def _phase(
    args: argparse.Namespace,
    url: str,
    server: int,
    *,
    token: str,
    bodies: list[tuple[bytes, int]],
    interval: float,
    label: str,
    clients: int | None = None,
) -> float:
    """``args.seconds`` of posting by ``clients`` (``args.clients`` unless given; ``interval``: each
    client's pace, 0 back to back); prints the findings/s acknowledged, the latencies and the CPU each
    process spent per finding (``server``: the service's pid), and returns the rate."""
    clients = clients or args.clients
    out: dict[str, Any] = {"latencies": [], "findings": 0, "refused": {}}
    cpu = _cpu(server)
    started = time.perf_counter()
    until = started + args.seconds

    async def run() -> None:
        await asyncio.gather(
            *(
                _client(
                    url,
                    token,
                    bodies=bodies,
                    start=n,
                    step=clients,
                    until=until,
                    out=out,
                    interval=interval,
                )
                for n in range(clients)
            )
        )

    asyncio.run(run())
    elapsed = time.perf_counter() - started
    spent = _cpu(server)
    latencies = sorted(out["latencies"])
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
    rate = float(out["findings"] / elapsed)
    per_request = sum(findings for _, findings in bodies) / len(bodies)
    due = per_request * clients / interval if interval else 0.0
    pace = f" (target {due:,.0f}: each client every {interval * 1000:.0f} ms)" if interval else ""
    print(
        f"  {label:>10}: {rate:8,.0f} findings/s acknowledged (durable 202){pace}, {len(latencies)} requests"
        f", refused: {out['refused'] or 'none'}; latency p50 {p50:,.0f} ms, p99 {p99:,.0f} ms",
    )
    print(_cpu_line(cpu, spent, out["findings"], rate), flush=True)
    return rate


if __name__ == "__main__":
    sys.exit(main())
