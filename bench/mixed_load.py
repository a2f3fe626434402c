"""Mixed load: ingest alone, ingest beside 10 query clients, and ingest overload at 64 and 160 clients.

One real ``threatlake serve`` per run. Every phase prints events/s acknowledged with a durable 202, request
p50/p99, the 429 count, the server's RSS and, for the mixed phase, the ratio to ingest alone (target: at least
0.7). ``/healthz`` is timed throughout (its p99 shows whether the event loop stayed free).
Usage: ``python bench/mixed_load.py [--seconds 20] [--clients 8] [--batch 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from threatlake.service.access import create_token
from threatlake.state import open_state

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "threatlake" / "samples"
INGEST = "/platform/ingest/v1/security.events"
EXECUTE = "/platform/storage/query/v1/query:execute"
QUERIES = (
    "fetch security.events | summarize n = count(), by: {event.provider}",
    "fetch security.events | sort timestamp desc | limit 100",
    "fetch security.events | makeTimeseries n = count(), interval: 1h",
    'fetch security.events | filter dt.security.risk.level == "CRITICAL" | fields finding.title | limit 50',
)


def _bodies(count: int, batch: int) -> list[tuple[bytes, int]]:
    templates = [
        doc
        for path in sorted(SAMPLES.rglob("*.json"))
        if isinstance(doc := orjson.loads(path.read_bytes()), dict) and "detail-type" in doc
    ]
    bodies, number = [], 0
    for _ in range(count):
        events = []
        for _ in range(batch):
            event = copy.deepcopy(templates[number % len(templates)])
            detail = event["detail"]
            for key in ("id", "Id"):
                if key in detail:
                    detail[key] = f"{detail[key]}-{number}"
            for finding in detail.get("findings", []):
                finding["Id"] = f"{finding.get('Id', '')}-{number}"
            events.append(event)
            number += 1
        findings = sum(max(1, len(event["detail"].get("findings", []))) for event in events)
        bodies.append((gzip.compress(orjson.dumps(events), 6), findings))
    return bodies


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.findings = 0
        self.statuses: dict[int, int] = {}

    def line(self, seconds: float) -> str:
        lat = sorted(self.latencies) or [0.0]
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        refused = self.statuses.get(429, 0)
        return (
            f"{self.findings / seconds:8.0f} findings/s  p50 {statistics.median(lat) * 1000:6.0f} ms  "
            f"p99 {p99 * 1000:6.0f} ms  429s {refused:5d}  other {self._other()}"
        )

    def _other(self) -> str:
        return ",".join(f"{code}:{n}" for code, n in sorted(self.statuses.items()) if code not in (202, 429))


async def _ingest(
    url: str, token: str, bodies: list[tuple[bytes, int]], *, n: int, until: float, out: Tally
) -> None:
    headers = {
        "Authorization": f"Api-Token {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }
    index = n
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while time.monotonic() < until:
            body, findings = bodies[index % len(bodies)]
            index += 17
            sent = time.perf_counter()
            try:
                response = await client.post(INGEST, content=body, headers=headers)
            except httpx.TransportError:
                out.statuses[0] = out.statuses.get(0, 0) + 1
                continue
            out.latencies.append(time.perf_counter() - sent)
            out.statuses[response.status_code] = out.statuses.get(response.status_code, 0) + 1
            if response.status_code == 202:
                out.findings += findings
            elif response.status_code == 429:
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))  # as clients should


async def _query(url: str, token: str, n: int, until: float, out: Tally) -> None:
    headers = {"Authorization": f"Api-Token {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        index = n
        while time.monotonic() < until:
            body = {"query": QUERIES[index % len(QUERIES)], "defaultTimeframeStart": "2000-01-01T00:00:00Z"}
            index += 1
            sent = time.perf_counter()
            response = await client.post(EXECUTE, json=body, headers=headers)
            out.latencies.append(time.perf_counter() - sent)
            out.statuses[response.status_code] = out.statuses.get(response.status_code, 0) + 1


async def _health(url: str, until: float, out: Tally) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while time.monotonic() < until:
            sent = time.perf_counter()
            await client.get("/healthz")
            out.latencies.append(time.perf_counter() - sent)
            await asyncio.sleep(0.1)


def _phase(
    url: str,
    tokens: tuple[str, str],
    bodies: list[tuple[bytes, int]],
    *,
    seconds: float,
    ingesters: int,
    queriers: int,
) -> tuple[Tally, Tally, Tally]:
    ingest, query, health = Tally(), Tally(), Tally()
    until = time.monotonic() + seconds

    async def run() -> None:
        await asyncio.gather(
            *(_ingest(url, tokens[0], bodies, n=n, until=until, out=ingest) for n in range(ingesters)),
            *(_query(url, tokens[1], n, until, query) for n in range(queriers)),
            _health(url, until, health),
        )

    asyncio.run(run())
    return ingest, query, health


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=100, help="EventBridge events per request")
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server (a setting)")
    parser.add_argument("--phases", default="", help="comma-separated phase numbers to run (default: all)")
    args = parser.parse_args()
    bodies = _bodies(400, args.batch)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        state = open_state(data)
        now = datetime.now(UTC)
        _, ingest_token = create_token(state, ["openpipeline.events_security"], now=now)
        _, read_token = create_token(state, ["storage:security.events:read"], now=now)
        state.users.create("admin", "bench", now=now, role="admin")  # not a first start: no samples
        state.close()
        server = subprocess.Popen(
            [sys.executable, "-m", "threatlake", "serve", "--data-dir", str(data), "--port", str(args.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={
                "THREATLAKE_LOG_LEVEL": "WARNING",
                "PATH": "/usr/bin:/bin",
                "THREATLAKE_MAX_QUERIES_PER_TOKEN": "64",
                **dict(item.split("=", 1) for item in args.env),
            },
        )
        url = f"http://127.0.0.1:{args.port}"
        tokens = (ingest_token, read_token)
        try:
            for _ in range(400):
                try:
                    if httpx.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            _phase(
                url, tokens, bodies, seconds=3, ingesters=args.clients, queriers=0
            )  # warm-up, and a store that is not empty
            phases = (
                ("ingest alone", args.clients, 0),
                ("ingest + 10 query clients", args.clients, 10),
                ("ingest alone (again)", args.clients, 0),
                ("overload, 64 ingest clients", 64, 0),
                ("overload, 160 ingest clients", 160, 0),
            )
            chosen = {int(n) for n in args.phases.split(",") if n} or set(range(1, len(phases) + 1))
            rates: dict[str, float] = {}
            for number, (name, ingesters, queriers) in enumerate(phases, start=1):
                if number not in chosen:
                    continue
                ingest, query, health = _phase(
                    url, tokens, bodies, seconds=args.seconds, ingesters=ingesters, queriers=queriers
                )
                rates[name] = ingest.findings / args.seconds
                print(f"{name:30s} ingest {ingest.line(args.seconds)}  RSS {_rss_mib(server.pid):6.0f} MiB")
                if queriers:
                    done = query.statuses.get(202, 0)
                    print(f"{'':30s} queries {done / args.seconds:7.1f}/s  {query.line(args.seconds)[27:]}")
                print(f"{'':30s} /healthz {health.line(args.seconds)[27:52]}")
            alones = [rates[name] for name in ("ingest alone", "ingest alone (again)") if name in rates]
            alone = sum(alones) / len(alones) if alones else 0.0
            for name in (
                "ingest + 10 query clients",
                "overload, 64 ingest clients",
                "overload, 160 ingest clients",
            ):
                if name in rates and alone:
                    print(f"{name} / ingest alone: {rates[name] / alone:.2f}")
        finally:
            server.terminate()
            server.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
