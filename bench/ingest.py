"""Ingest throughput: ``threatlake ingest`` end to end (read + decode + map + store), and raw store writes.

    python bench/ingest.py [--findings 60000] [--files 12] [--batch 50000]

The corpus is every shared sample and fixture finding that maps to GuardDuty or Security Hub, copied with a
fresh id and version time for each copy, written as NDJSON files of EventBridge events (as the forwarder
delivers them) into a temporary directory. Prints:

- end to end: findings/s (and events/s) of the ingest command's own loop on a fresh store, in this process;
- raw store: events/s of ``Store.write`` for the same events already mapped, on a fresh store (also without
  ``dt.raw_data``, the original finding, which is most of the bytes);
- re-ingest: findings/s when every event is already stored (the idempotent path).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mapping import WRAPPED_SOURCES, eventbridge
from threatlake.cli import GC_THRESHOLDS
from threatlake.cli.inputs import read_inputs
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.service.ingest import BATCH_SIZE, ingest_inputs, local_ingest
from threatlake.sources import source_for
from threatlake.sources.envelope import unwrap
from threatlake.state import memory_state
from threatlake.store import open_store

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = (ROOT.parent / "shared" / "samples", ROOT / "tests" / "fixtures" / "findings")
RECEIVED_AT = datetime(2027, 1, 1, tzinfo=UTC)
_TIME_KEYS = ("updatedAt", "UpdatedAt", "time")
_ID_KEYS = ("id", "Id", "uid")


def _templates() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for directory in TEMPLATE_DIRS:
        for _, data in read_inputs([str(directory)]) if directory.is_dir() else []:
            lines = data.splitlines() if data.lstrip()[:1] != b"[" else [data]
            for line in lines:
                try:
                    document = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                for item in unwrap(document):
                    if not isinstance(item, Exception) and source_for(item).name in WRAPPED_SOURCES:
                        found.append((source_for(item).name, item.raw))
    if not found:
        raise SystemExit("no template findings found")
    return found


def corpus(count: int, files: int, directory: Path) -> None:
    """Write ``count`` findings as ``files`` NDJSON files of EventBridge events."""
    templates = _templates()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    per_file = -(-count // files)
    for number in range(files):
        lines = []
        for index in range(number * per_file, min(count, (number + 1) * per_file)):
            name, raw = templates[index % len(templates)]
            finding = dict(raw)
            version = (start + timedelta(seconds=index)).isoformat().replace("+00:00", "Z")
            for key in _ID_KEYS:
                if isinstance(finding.get(key), str):
                    finding[key] = f"{finding[key]}-{index}"
            for key in _TIME_KEYS:
                if key in finding:
                    finding[key] = version
            lines.append(orjson.dumps(eventbridge(name, finding, index, version)))
        (directory / f"part-{number:03d}.ndjson").write_bytes(b"\n".join(lines))


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)  # as `threatlake ingest` runs (cli.main sets it)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--findings", type=int, default=60_000)
    parser.add_argument("--files", type=int, default=12)
    parser.add_argument("--batch", type=int, default=BATCH_SIZE, help="events per store write")
    args = parser.parse_args()
    ctx = IngestContext(received_at=RECEIVED_AT, source="bench")
    with tempfile.TemporaryDirectory(prefix="threatlake-bench-") as tmp:
        root = Path(tmp)
        inputs, first, second = root / "inputs", root / "end-to-end", root / "raw"
        inputs.mkdir()
        corpus(args.findings, args.files, inputs)
        size = sum(path.stat().st_size for path in inputs.iterdir())

        store = open_store(first)
        with local_ingest(store, memory_state(), connection=None, now=RECEIVED_AT) as ingest:
            started = time.perf_counter()
            summary = ingest_inputs(ingest, read_inputs([str(inputs)]), ctx, args.batch)
            end_to_end = time.perf_counter() - started
            started = time.perf_counter()
            again = ingest_inputs(ingest, read_inputs([str(inputs)]), ctx, args.batch)
            reingest = time.perf_counter() - started
        store.close()

        events = [event for _, data in read_inputs([str(inputs)]) for event in map_bytes(data, ctx).events]
        started = time.perf_counter()
        mapped_only = [map_bytes(data, ctx) for _, data in read_inputs([str(inputs)])]
        mapping = time.perf_counter() - started
        del mapped_only
        store = open_store(second)
        started = time.perf_counter()
        for offset in range(0, len(events), args.batch):
            store.write(events[offset : offset + args.batch])
        raw = time.perf_counter() - started
        store.close()
        slim = [{key: value for key, value in event.items() if key != "dt.raw_data"} for event in events]
        store = open_store(root / "slim")
        started = time.perf_counter()
        for offset in range(0, len(slim), args.batch):
            store.write(slim[offset : offset + args.batch])
        raw_slim = time.perf_counter() - started
        store.close()

    n, stored = summary.received, summary.stored
    assert not summary.rejections, summary.rejections[:3]
    assert again.stored == 0
    print(
        f"corpus      : {n:,} findings → {len(events):,} events, "
        f"{size / 1e6:.1f} MB NDJSON in {args.files} files"
    )
    print(f"end to end  : {n / end_to_end:10,.0f} findings/s  ({stored / end_to_end:,.0f} events/s stored)")
    print(f"  of which map only : {n / mapping:10,.0f} findings/s")
    print(f"raw store   : {len(events) / raw:10,.0f} events/s  (prebuilt events, batches of {args.batch:,})")
    print(f"  without raw data  : {len(slim) / raw_slim:10,.0f} events/s  (dt.raw_data left out)")
    print(f"re-ingest   : {n / reingest:10,.0f} findings/s  (everything already stored)")


if __name__ == "__main__":
    main()
