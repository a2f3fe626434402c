"""Disk per event: the bundled samples replicated into DuckDB and chDB stores, bytes on disk against theirs.

    python bench/disk.py [--store duckdb,chdb] [--findings 100000]
                         [--generated 1000000 5000000 --data-dir DIR]

Every finding of ``threatlake/samples`` is copied with a fresh id and version time until there are
``--findings`` of them, mapped as the forwarder's EventBridge events are, and written to a fresh store of each
``--store`` in the service's batches (the same batches to every store); then each store is measured closed:
DuckDB its file (``events`` and ``latest``), chDB the active parts of ``events`` after ``OPTIMIZE ... FINAL``
(``system.parts``), with compressed and uncompressed bytes per column (``system.columns``) for the largest.
Printed: the findings' JSON bytes as AWS wrote them, the EventBridge events' bytes as delivered, each store's
bytes, bytes per event on disk and the ratio of each input to the store (the compression ratio
``docs/scale-out.md`` sizes disks by). ``--generated`` also measures the stores of ``bench/query.py``'s
generated corpus of those sizes (kept in ``--data-dir``; short raw data, so a lower bound).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import _ID_KEYS, _TIME_KEYS
from bench.mapping import WRAPPED_SOURCES, eventbridge
from bench.stores import Disk, Engine, engines
from threatlake.model import Event
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.samples import sample_files
from threatlake.service.ingest import BATCH_SIZE
from threatlake.sources import source_for
from threatlake.sources.envelope import unwrap

_TOP_COLUMNS = 8
_RAW = "dt.raw_data"
_NAME = "bench_disk"


def _templates() -> list[tuple[str, dict[str, object]]]:
    found = []
    for _, data in sample_files():
        for item in unwrap(orjson.loads(data)):
            if not isinstance(item, Exception) and source_for(item).name in WRAPPED_SOURCES:
                found.append((source_for(item).name, dict(item.raw)))
    return found


class Replicas:
    """The replicated findings as batches of mapped events, counting the input bytes on the way."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.finding_bytes = self.delivered_bytes = 0
        self.templates = _templates()

    def batches(self) -> Iterator[list[Event]]:
        start = datetime(2026, 6, 1, tzinfo=UTC)
        ctx = IngestContext(received_at=start, source="bench", connection="default")
        batch: list[Event] = []
        for index in range(self.count):
            name, raw = self.templates[index % len(self.templates)]
            finding = dict(raw)
            version = (start + timedelta(seconds=index)).isoformat().replace("+00:00", "Z")
            for key in _ID_KEYS:
                if isinstance(finding.get(key), str):
                    finding[key] = f"{finding[key]}-{index}"
            for key in _TIME_KEYS:
                if key in finding:
                    finding[key] = version
            delivered = orjson.dumps(eventbridge(name, finding, index, version))
            self.finding_bytes += len(orjson.dumps(finding))
            self.delivered_bytes += len(delivered)
            batch.extend(map_bytes(delivered, ctx, f"finding-{index}").events)
            if len(batch) >= BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch


def _print_disk(engine: Engine, disk: Disk, inputs: dict[str, int] | None = None) -> None:
    events = max(disk.events, 1)
    figures = f"{disk.bytes / 1e6:10.1f} MB  {disk.bytes / events:8.0f} B/event"
    print(f"{engine.name + ' store':18} {figures}  ({disk.note})")
    if inputs:
        ratios = ", ".join(
            f"{name} / store {size / max(disk.bytes, 1):.1f}x" for name, size in inputs.items()
        )
        print(f"  ratio: {ratios}")
    if disk.columns and not disk.compressed:
        print("  columns: no per-column sizes (a part this small is stored compact)")
    elif disk.columns:
        ratio = disk.uncompressed / max(disk.compressed, 1)
        print(
            f"  columns: {disk.compressed / 1e6:.1f} MB compressed of {disk.uncompressed / 1e6:.1f} MB "
            f"({ratio:.1f}x); the {_TOP_COLUMNS} largest and {_RAW}:"
        )
        print(f"    {'column':28} {'compressed':>12} {'uncompressed':>13} {'ratio':>6} {'B/event':>8}  codec")
        shown = disk.columns[:_TOP_COLUMNS]
        shown += [column for column in disk.columns[_TOP_COLUMNS:] if column.name == _RAW]
        for column in shown:
            print(
                f"    {column.name:28} {column.compressed:12,} {column.uncompressed:13,} "
                f"{column.uncompressed / max(column.compressed, 1):6.1f} {column.compressed / events:8.1f}"
                f"  {column.codec}"
            )


def replicated(chosen: list[Engine], count: int) -> None:
    replicas = Replicas(count)
    stores = [engine.copy(_NAME, 0) for engine in chosen]
    events = 0
    for batch in replicas.batches():
        written = [store.write([dict(event) for event in batch]).stored for store in stores]
        assert len(set(written)) == 1, written  # every store took the same events
        events += written[0]
    for store in stores:
        store.close()
    print(f"findings {count:,} from {len(replicas.templates)} samples; events stored {events:,}")
    inputs = {"findings": replicas.finding_bytes, "delivered": replicas.delivered_bytes}
    for label, key in (("findings JSON", "findings"), ("EventBridge events", "delivered")):
        print(f"{label:18} {inputs[key] / 1e6:10.1f} MB  {inputs[key] / events:8.0f} B/event")
    for engine in chosen:
        _print_disk(engine, engine.disk(_NAME), inputs)
        engine.discard(_NAME)


def generated(chosen: list[Engine], size: int) -> None:
    print(f"\ngenerated corpus of bench/query.py, {size:,} events (short raw data):")
    for engine in chosen:
        engine.generated(size).close()
        _print_disk(engine, engine.disk(engine.generated_name(size)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--store", default="duckdb", help="stores to compare, comma-separated: duckdb,chdb")
    parser.add_argument("--findings", type=int, default=100_000, help="replicated findings (0: none)")
    parser.add_argument("--generated", type=int, nargs="*", default=[], help="generated corpus sizes")
    parser.add_argument("--data-dir", type=Path, default=None, help="where bench/query.py keeps its stores")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        chosen = engines(args.store, args.data_dir or Path(scratch))
        if args.findings:
            replicated(chosen, args.findings)
        for size in args.generated:
            generated(chosen, size)


if __name__ == "__main__":
    main()
