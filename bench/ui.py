"""Page server time: p50 and p95 per page at N stored events, against ``/readyz`` in the same process.

    python bench/ui.py [--events 100000] [--repeat 15]

The store holds the bundled sample events, each copied with fresh finding and event ids and spread over the
last 24 hours until ``--events`` is reached. Pages are requested in process (httpx's ASGI transport, signed
in as an administrator) over the last 24 hours, so lists, facet counts and charts all read every event.
Prints milliseconds per page and the ratio to ``/readyz`` (the cost of the HTTP stack alone). The figures
go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from threatlake.config import Config
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.samples import sample_files
from threatlake.state import open_state
from threatlake.store import open_store
from threatlake.web import create_app

PAGES = [
    "/",
    "/threats",
    "/threats?group=object",
    "/threats?risk=HIGH&sort=-risk",
    "/vulnerabilities",
    "/compliance",
    "/settings/aws-security-hub",
    "/threats.csv",
]
TIMEFRAME = {"from": "now()-24h", "to": "now()"}


def _events(count: int) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    ctx = IngestContext(received_at=now, source="bench", connection="bench")
    base = [event for name, data in sample_files() for event in map_bytes(data, ctx, name).events]
    out = []
    for index in range(count):
        event = dict(base[index % len(base)])
        event["event.id"] = f"bench-{index}"
        event["finding.id"] = f"{event.get('finding.id')}-{index // len(base)}"
        event["timestamp"] = now - timedelta(seconds=(index * 86_000) // max(count, 1))
        out.append(event)
    return out


async def _measure(client: httpx.AsyncClient, path: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path, params=TIMEFRAME)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return times


async def _run(app: object, repeat: int) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        login = await client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert csrf
        signed = await client.post(
            "/login", data={"username": "bench", "password": "bench-password", "csrf": csrf.group(1)}
        )
        assert signed.status_code == 303
        baseline = statistics.median(await _measure(client, "/readyz", repeat))
        print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'x readyz':>9}")
        for path in PAGES:
            times = sorted(await _measure(client, path, repeat))
            p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
            print(f"{path:40} {p50:8.1f} {p95:8.1f} {p50 / max(baseline, 0.001):9.0f}")
        print(f"{'/readyz (baseline)':40} {baseline:8.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(tmp)
        state = open_state(tmp)
        try:
            state.users.create("bench", "bench-password", now=datetime.now(UTC), role="admin")
            events = _events(args.events)
            for start in range(0, len(events), 10_000):
                store.write(events[start : start + 10_000])
            print(f"{args.events:,} events stored")
            app = create_app(Config(data_dir=Path(tmp)), store, state)
            services = app.state.services
            services.writer.start()  # what the lifespan does (readyz needs it)
            try:
                asyncio.run(_run(app, args.repeat))
            finally:
                services.writer.close(5)
                services.counters.close()
        finally:
            store.close()
            state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
