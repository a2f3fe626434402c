"""Page server time: p50 and p95 per page at N stored events, against ``/readyz`` in the same process.

    python bench/ui.py [--events 100000] [--repeat 15] [--data-dir DIR]
    python bench/ui.py --events 1000000 --data-dir /tmp/ui-1m --compare /tmp/base [--rounds 3]

The store holds the bundled sample events, each copied with fresh finding and event ids and spread over the
last 24 hours until ``--events`` is reached (written once into ``--data-dir`` and reused by later runs; a
temporary directory without it). Pages are requested in process (httpx's ASGI transport, signed in as an
administrator) over the last 24 hours, so lists, facet counts and charts all read every event (each
page with its own query parameters; the finding page is the newest detection's); "dashboard"
is the shipped "Security findings overview": its page, then its first 8 data tiles through the notebook
query endpoint, 4 at a time as ``dashboards.js`` runs them. Prints milliseconds per page and the ratio to
``/readyz`` (the cost of the HTTP stack alone).

``--compare OTHER`` benchmarks another checkout of Threatlake (e.g. ``git archive main | tar -x -C OTHER``)
against this one on the same data directory: the two run alternately (A, B, A, B, ...) in fresh processes,
so the load of a shared machine falls on both, and the table gives each page's median p50 and the ratio
B / A (this checkout over the other). The figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

HERE = Path(__file__).resolve().parents[1]

FINDING = "/threats/<a finding>"  # the newest detection finding's page
PAGES = [
    "/",
    "/threats",
    "/threats?group=object",
    "/threats?risk=HIGH&sort=-risk",
    "/vulnerabilities",
    "/compliance",
    "/settings/amazon-guardduty",
    "/settings/aws-security-hub",
    "/threats.csv",
    FINDING,
]
DASHBOARD = "dashboard (8 tiles)"
TIMEFRAME = {"from": "now()-24h", "to": "now()"}
_CHUNK = 10_000
_FOLD_EVERY = 10  # chunks written before waiting for ``latest`` to hold them (see ``_caught_up``)
_TILES, _TILES_AT_ONCE = 8, 4
_USER, _PASSWORD = "bench", "bench-password"


def _events(start: int, count: int, total: int, now: datetime, base: list[dict[str, Any]]) -> list[Any]:
    out = []
    for index in range(start, start + count):
        event = dict(base[index % len(base)])
        event["event.id"] = f"bench-{index}"
        event["finding.id"] = f"{event.get('finding.id')}-{index // len(base)}"
        event["timestamp"] = now - timedelta(seconds=(index * 86_000) // max(total, 1))
        out.append(event)
    return out


def _fill(data_dir: Path, total: int) -> None:
    """Write ``total`` events into the store of ``data_dir`` unless it holds them already."""
    from threatlake.pipeline.mapping import IngestContext, map_bytes
    from threatlake.samples import sample_files
    from threatlake.state import open_state
    from threatlake.store import open_store

    store, state = open_store(data_dir), open_state(data_dir)
    try:
        if not any(user.name == _USER for user in state.users.list()):
            state.users.create(_USER, _PASSWORD, now=datetime.now(UTC), role="admin")
        stored = int(store.execute("select count(*) from events").column(0)[0].as_py())
        if stored >= total:
            return
        now = datetime.now(UTC)
        ctx = IngestContext(received_at=now, source="bench", connection="bench")
        base = [event for name, data in sample_files() for event in map_bytes(data, ctx, name).events]
        started = time.perf_counter()
        for number, start in enumerate(range(stored, total, _CHUNK)):
            store.write(_events(start, min(_CHUNK, total - start), total, now, base))
            if number % _FOLD_EVERY == _FOLD_EVERY - 1:
                _caught_up(store)
        print(f"{total - stored:,} events written in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    finally:
        store.close()
        state.close()


def _caught_up(store: Any, most: float = 600.0) -> None:
    """Wait (at most ``most`` seconds) until ``latest`` holds every write, so the pending rows the store
    holds in memory stay bounded while the bench writes faster than it folds (the store folds a long
    backlog in runs, but keeps all of it in memory until then)."""
    deadline = time.monotonic() + most
    while getattr(store, "latest_lag", 0.0) > 0 and time.monotonic() < deadline:
        time.sleep(0.2)


def _split(path: str) -> tuple[str, dict[str, str]]:
    """A page's path and its query parameters with the timeframe (httpx's ``params`` replaces a URL's own)."""
    parts = urlsplit(path)
    return parts.path, {**dict(parse_qsl(parts.query)), **TIMEFRAME}


async def _timed(client: Any, method: str, path: str, **options: Any) -> float:
    started = time.perf_counter()
    response = await client.request(method, path, **options)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return (time.perf_counter() - started) * 1000


def _tile_queries() -> list[str]:
    shipped = HERE / "threatlake/documents/shipped/security-findings-overview.json"
    document = json.loads(shipped.read_text())
    providers = '{"Amazon GuardDuty", "AWS Security Hub"}'
    queries = [tile["query"] for tile in document["tiles"].values() if tile.get("type") == "data"]
    return [query.replace("$Provider", providers) for query in queries[:_TILES]]


async def _dashboard(client: Any, csrf: str, queries: list[str]) -> float:
    """The dashboard page, then its tiles' queries, ``_TILES_AT_ONCE`` at a time: until the last is drawn."""
    started = time.perf_counter()
    await _timed(client, "GET", "/dashboards", params=TIMEFRAME)
    gate = asyncio.Semaphore(_TILES_AT_ONCE)

    async def tile(query: str) -> None:
        async with gate:
            data = {"query": query, "csrf": csrf, "maxResultRecords": "1000"}
            await _timed(client, "POST", "/notebooks/query", params=TIMEFRAME, data=data)

    await asyncio.gather(*(tile(query) for query in queries))
    return (time.perf_counter() - started) * 1000


async def _run(app: object, repeat: int) -> dict[str, list[float]]:
    import httpx

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        login = await client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert csrf
        form = {"username": _USER, "password": _PASSWORD, "csrf": csrf.group(1)}
        assert (await client.post("/login", data=form)).status_code == 303
        page = await client.get("/threats", params=TIMEFRAME)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        queries = _tile_queries()
        times: dict[str, list[float]] = {"/readyz": []}
        for _ in range(repeat):
            times["/readyz"].append(await _timed(client, "GET", "/readyz"))
        newest = await client.get("/threats.json", params={**TIMEFRAME, "size": "1"})
        finding = "/threats/" + quote(newest.json()["records"][0]["finding.id"], safe="")
        for name in PAGES:
            path, params = _split(finding if name == FINDING else name)
            times[name] = [await _timed(client, "GET", path, params=params) for _ in range(repeat)]
        times[DASHBOARD] = [await _dashboard(client, token.group(1), queries) for _ in range(repeat)]
        return times


def _measure(data_dir: Path, repeat: int) -> dict[str, list[float]]:
    from threatlake.config import Config
    from threatlake.state import open_state
    from threatlake.store import open_store
    from threatlake.web import create_app

    store, state = open_store(data_dir), open_state(data_dir)
    try:
        app = create_app(Config(data_dir=data_dir), store, state)
        services = app.state.services
        services.writer.start()  # what the lifespan does (readyz needs it)
        try:
            return asyncio.run(_run(app, repeat))
        finally:
            services.writer.close(5)
            services.counters.close()
    finally:
        store.close()
        state.close()


def _p50(times: list[float]) -> float:
    return statistics.median(times)


def _print(times: dict[str, list[float]]) -> None:
    baseline = _p50(times["/readyz"])
    print(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'x readyz':>9}")
    for path, found in times.items():
        if path == "/readyz":
            continue
        ordered = sorted(found)
        p50, p95 = _p50(ordered), ordered[int(0.95 * (len(ordered) - 1))]
        print(f"{path:40} {p50:8.1f} {p95:8.1f} {p50 / max(baseline, 0.001):9.0f}")
    print(f"{'/readyz (baseline)':40} {baseline:8.2f}")


def _compare(other: Path, data_dir: Path, repeat: int, rounds: int) -> None:
    """This checkout (B) against ``other`` (A), alternating fresh processes on one data directory."""
    runs: dict[str, list[dict[str, list[float]]]] = {"A": [], "B": []}
    for _ in range(rounds):
        for label, code in (("A", other), ("B", HERE)):
            command = [sys.executable, str(HERE / "bench/ui.py"), "--code", str(code), "--data-dir",
                       str(data_dir), "--repeat", str(repeat), "--json"]  # fmt: skip
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            runs[label].append(json.loads(output))
    print(f"A = {other}, B = {HERE}; {rounds} alternating rounds of {repeat} requests per page")
    print(f"{'page':40} {'A p50 ms':>9} {'B p50 ms':>9} {'B / A':>7}")
    for path in runs["A"][0]:
        a = statistics.median(_p50(run[path]) for run in runs["A"])
        b = statistics.median(_p50(run[path]) for run in runs["B"])
        print(f"{path:40} {a:9.1f} {b:9.1f} {b / max(a, 0.001):7.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--data-dir", type=Path, help="keep the store here and reuse it")
    parser.add_argument("--compare", type=Path, help="another checkout to benchmark against, alternately")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", type=Path, default=HERE, help=argparse.SUPPRESS)  # the checkout to import
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # for --compare
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        if args.compare is not None:
            _fill(data_dir, args.events)
            _compare(args.compare, data_dir, args.repeat, args.rounds)
            return 0
        if not args.json:
            _fill(data_dir, args.events)
        times = _measure(data_dir, args.repeat)
        if args.json:
            print(json.dumps(times))
        else:
            print(f"{args.events:,} events stored")
            _print(times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
