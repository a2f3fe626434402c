"""Mapping throughput: decode + map findings/s on a realistic mixed corpus, against orjson decode alone.

    python bench/mapping.py [--findings 24000] [--repeat 3] [--pascal] [--max-depth 64]
    python bench/mapping.py --code DIR [--findings 6000] [--repeat 3]
    python bench/mapping.py --rss 100000,400000 [--code DIR]

The corpus is every fixture finding (GuardDuty camelCase, ASFF, OCSF; boto3 PascalCase GuardDuty only with
``--pascal``), each copied with a fresh id until ``--findings`` is reached, written as NDJSON of EventBridge
events as the forwarder delivers them. Prints findings/s for decode alone and for decode + map (one core,
this process) and their ratio, then the JSON depth check the ingest endpoint runs on every line
(``max_json_depth``): the byte pre-scan against the walk over the decoded value, alternated. Each corpus
(mixed, then GuardDuty, ASFF and OCSF each alone) is measured against ``orjson.loads`` + ``orjson.dumps``
of the same lines in the same process. ``--code DIR`` runs another checkout's decode + map (A) alternated
with this one's (B), each in a child process with its own reference. The figures go to docs/performance.md.

``--rss`` instead writes an NDJSON file of each size and runs ``threatlake ingest FILE`` on it into a fresh
data directory, in a child process, printing the child's peak RSS and findings/s; ``--code DIR`` runs another
checkout's code (e.g. ``git archive main | tar -x -C DIR``) for an A/B of the same files.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import golden
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.sources import source_for
from threatlake.sources.decode import _nests_within, _within
from threatlake.sources.envelope import unwrap

WRAPPED_SOURCES = {
    "guardduty": ("aws.guardduty", "GuardDuty Finding"),
    "securityhub": ("aws.securityhub", "Security Hub Findings - Imported"),
    "securityhub_ocsf": ("aws.securityhub", "Findings Imported V2"),
}

# The corpora measured, each against orjson on its own lines: mixed (None), then one per source.
CORPORA: tuple[str | None, ...] = (None, *WRAPPED_SOURCES)


def _templates(pascal: bool) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in golden.inputs():
        for line in path.read_bytes().splitlines() if path.suffix == ".ndjson" else [path.read_bytes()]:
            for item in unwrap(orjson.loads(line)):
                if not isinstance(item, Exception):
                    name = source_for(item).name
                    boto3_spelling = name == "guardduty" and "SchemaVersion" in item.raw
                    if name in WRAPPED_SOURCES and (pascal or not boto3_spelling):
                        found.append((name, item.raw))
    return found


def corpus(count: int, pascal: bool = False, first: int = 0, only: str | None = None) -> bytes:
    templates = [entry for entry in _templates(pascal) if only is None or entry[0] == only]
    lines = []
    for index in range(first, first + count):
        name, raw = templates[index % len(templates)]
        finding = dict(raw)
        for key in ("id", "Id"):
            if key in finding:
                finding[key] = f"{finding[key]}-{index}"
        lines.append(orjson.dumps(eventbridge(name, finding, index, "2026-11-01T00:00:00Z")))
    return b"\n".join(lines)


def eventbridge(source_name: str, finding: dict[str, Any], index: int, time: str) -> dict[str, Any]:
    """``finding`` in the EventBridge event its source's forwarder rule delivers."""
    source, detail_type = WRAPPED_SOURCES[source_name]
    return {
        "version": "0",
        "id": f"bench-{index}",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": time,
        "region": "eu-west-1",
        "resources": [],
        "detail": finding if source_name == "guardduty" else {"findings": [finding]},
    }


def _best(repeat: int, work: Any) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()  # the same for both paths: measure the work, not the collector's passes
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
        gc.enable()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=24_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--pascal",
        action="store_true",
        help="include boto3 PascalCase GuardDuty findings (EventBridge never sends them)",
    )
    parser.add_argument("--max-depth", type=int, default=64, help="the depth limit checked (max_json_depth)")
    parser.add_argument("--rss", help="comma-separated corpus sizes: peak RSS of `threatlake ingest FILE`")
    parser.add_argument(
        "--code",
        help="another checkout: with --rss, the code that runs; else decode + map with its code (A) and "
        "this one's (B), alternated in child processes",
    )
    parser.add_argument(
        "--rss-mode",
        choices=("ingest", "map-whole", "map-stream"),
        default="ingest",
        help="with --rss: `threatlake ingest FILE` (store included), or mapping alone: map_bytes of the "
        "whole file (the earlier path) or map_stream of its chunks",
    )
    args = parser.parse_args()
    if args.rss:
        _rss([int(size) for size in args.rss.split(",")], args.code, args.rss_mode)
        return
    if args.code:
        _ab(args.findings, args.pascal, args.repeat, Path(args.code).resolve())
        return
    ctx = IngestContext(received_at=datetime(2027, 1, 1, tzinfo=UTC))
    for only in CORPORA:
        data = corpus(args.findings, args.pascal, only=only)
        reference, full, batch = _timed(data, ctx, args.repeat)
        n = batch.findings
        print(f"{only or 'mixed'}: {n} findings, {len(batch.events)} events, {len(data) / 1e6:.1f} MB NDJSON")
        print(f"  orjson loads+dumps : {n / reference:10,.0f} findings/s")
        print(f"  decode + map       : {n / full:10,.0f} findings/s  ratio {reference / full:.2f}")
    _depth_check(corpus(args.findings, args.pascal).split(b"\n"), args.max_depth, args.repeat)


def _timed(data: bytes, ctx: IngestContext, repeat: int) -> tuple[float, float, Any]:
    """Best seconds of orjson loads + dumps of every line (the reference) and of decode + map, alternated."""
    lines = data.split(b"\n")
    batch = map_bytes(data, ctx)
    assert not batch.rejections, batch.rejections[:3]
    reference, full = [], []
    for _ in range(repeat):
        reference.append(_best(1, lambda: [orjson.dumps(orjson.loads(line)) for line in lines]))
        full.append(_best(1, lambda: map_bytes(data, ctx)))
    return min(reference), min(full), batch


_TIMED = """
import sys
from datetime import UTC, datetime
sys.path.insert(0, sys.argv[1])
from threatlake.pipeline.mapping import IngestContext
sys.path.insert(0, sys.argv[2])
from bench.mapping import _timed
data = open(sys.argv[3], "rb").read()
ctx = IngestContext(received_at=datetime(2027, 1, 1, tzinfo=UTC))
reference, full, batch = _timed(data, ctx, int(sys.argv[4]))
print(reference, full, batch.findings, len(batch.events))
"""


def _ab(count: int, pascal: bool, repeat: int, other: Path) -> None:
    """Decode + map with another checkout's code (A) and this one's (B), each in a child process with its
    own orjson reference, alternated ``repeat`` times per corpus: each ratio comes from one process."""
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp:
        for only in CORPORA:
            path = Path(tmp) / "corpus.ndjson"
            path.write_bytes(corpus(count, pascal, only=only))
            ratios: dict[str, list[float]] = {"A": [], "B": []}
            rates: dict[str, list[float]] = {"A": [], "B": []}
            for _ in range(repeat):
                for label, root in (("A", other), ("B", here)):
                    out = subprocess.run(
                        [sys.executable, "-c", _TIMED, str(root), str(here), str(path), "3"],
                        capture_output=True,
                        check=True,
                        cwd=tmp,
                    ).stdout.split()
                    reference, full, findings = float(out[0]), float(out[1]), int(out[2])
                    ratios[label].append(reference / full)
                    rates[label].append(findings / full)
            print(f"{only or 'mixed'} ({count} findings): decode + map findings/s (ratio to loads+dumps)")
            for label, name in (("A", other.name), ("B", here.name)):
                runs = ", ".join(
                    f"{rate:,.0f} ({ratio:.2f})"
                    for rate, ratio in zip(rates[label], ratios[label], strict=True)
                )
                best = f"best {max(rates[label]):,.0f}, ratio {max(ratios[label]):.2f}"
                print(f"  {label} {name:<12}: {best}  (runs: {runs})")


def _depth_check(lines: list[bytes], budget: int, repeat: int) -> None:
    """The depth check alone, per line: the walk over the decoded value (A) and the byte pre-scan (B),
    alternated ``repeat`` times so a neighbour's load hits both alike."""
    values = [orjson.loads(line) for line in lines]
    pairs = zip(lines, values, strict=True)
    assert all(_nests_within(line, budget) is _within(value, budget) for line, value in pairs)
    walk, scan = [], []
    for _ in range(repeat):
        walk.append(_best(1, lambda: [_within(value, budget) for value in values]))
        scan.append(_best(1, lambda: [_nests_within(line, budget) for line in lines]))
    n = len(lines)
    print(f"depth check, walk  : {min(walk) / n * 1e6:10.2f} µs/line (runs: {_runs(walk, n)})")
    print(f"depth check, scan  : {min(scan) / n * 1e6:10.2f} µs/line (runs: {_runs(scan, n)})")


_MAP_ONLY = """
import sys
from datetime import UTC, datetime
from threatlake.pipeline.mapping import IngestContext, map_bytes, map_stream
ctx = IngestContext(received_at=datetime(2027, 1, 1, tzinfo=UTC))
mode, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as file:
    if mode == "map-whole":
        batches = [map_bytes(file.read(), ctx)]
    else:
        batches = map_stream(iter(lambda: file.read(1 << 20), b""), ctx)
    print('{"received": %d}' % sum(batch.findings for batch in batches))
"""


def _rss(sizes: list[int], code: str | None, mode: str) -> None:
    """Peak RSS of ``threatlake ingest FILE`` (map + pipeline + store write) per corpus size, in a child,
    or of mapping alone (``mode``: ``map-whole``, ``map-stream``)."""
    root = Path(code).resolve() if code else Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    with tempfile.TemporaryDirectory(prefix="bench-rss-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"corpus-{size}.ndjson"
            with path.open("wb") as out:
                for first in range(0, size, 10_000):
                    out.write(corpus(min(10_000, size - first), first=first) + b"\n")
            run = (
                "runpy.run_module('threatlake', run_name='__main__')"
                if mode == "ingest"
                else "exec(compile(sys.argv[0], 'map', 'exec'))"
            )
            script = (
                "import resource, runpy, sys, time; started = time.perf_counter(); sys.argv = sys.argv[1:]\n"
                f"try:\n    {run}\n"
                "finally:\n    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "    print('SECONDS', time.perf_counter() - started, 'PEAK', peak, file=sys.stderr)\n"
            )
            data_dir = Path(tmp) / f"data-{size}"
            done = subprocess.run(
                [sys.executable, "-c", script, "threatlake", "ingest", "--data-dir", str(data_dir), str(path)]
                if mode == "ingest"
                else [sys.executable, "-c", script, _MAP_ONLY, mode, str(path)],
                env=env,
                capture_output=True,
                check=False,
                cwd=tmp,
            )
            tail = done.stderr.rsplit(b"SECONDS ", 1)[-1].split()
            seconds, peak = (float(tail[0]), int(tail[2]) / 1024) if len(tail) >= 3 else (float("nan"), 0.0)
            summary = orjson.loads(done.stdout.splitlines()[-1]) if done.returncode in (0, 1) else {}
            if not summary:
                print(done.stdout[-300:], done.stderr[-600:])
            print(
                f"{root.name} {mode}: {size:,} findings ({path.stat().st_size / 1e6:,.0f} MB): "
                f"peak RSS {peak:,.0f} MiB, {size / seconds:,.0f} findings/s, "
                f"stored {summary.get('stored')}, rejected {summary.get('rejected')}"
            )
            path.unlink()


def _runs(times: list[float], n: int) -> str:
    return ", ".join(f"{t / n * 1e6:.2f}" for t in times)


if __name__ == "__main__":
    main()
