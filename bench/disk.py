"""Disk per event: the bundled samples replicated into a DuckDB store, its file size against the findings'.

    python bench/disk.py [--findings 100000]

Every finding of ``threatlake/samples`` is copied with a fresh id and version time until there are
``--findings`` of them, mapped as the forwarder's EventBridge events are, and written to a fresh store in the
service's batches; then the store is closed (checkpointed) and its file measured. Printed: the findings' JSON
bytes as AWS wrote them, the EventBridge events' bytes as delivered, the store's bytes, bytes per event on
disk and the ratio of each input to the store (the compression ratio ``docs/scale-out.md`` sizes disks by).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import _ID_KEYS, _TIME_KEYS
from bench.mapping import WRAPPED_SOURCES, eventbridge
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.samples import sample_files
from threatlake.service.ingest import BATCH_SIZE
from threatlake.sources import source_for
from threatlake.sources.envelope import unwrap
from threatlake.store import open_store
from threatlake.store.duckdb import FILE_NAME


def _templates() -> list[tuple[str, dict[str, object]]]:
    found = []
    for _, data in sample_files():
        for item in unwrap(orjson.loads(data)):
            if not isinstance(item, Exception) and source_for(item).name in WRAPPED_SOURCES:
                found.append((source_for(item).name, dict(item.raw)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    count = parser.parse_args().findings
    templates = _templates()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    ctx = IngestContext(received_at=start, source="bench", connection="default")
    finding_bytes = delivered_bytes = events = 0
    with tempfile.TemporaryDirectory() as directory:
        store = open_store(directory)
        batch: list[dict[str, object]] = []
        for index in range(count):
            name, raw = templates[index % len(templates)]
            finding = dict(raw)
            version = (start + timedelta(seconds=index)).isoformat().replace("+00:00", "Z")
            for key in _ID_KEYS:
                if isinstance(finding.get(key), str):
                    finding[key] = f"{finding[key]}-{index}"
            for key in _TIME_KEYS:
                if key in finding:
                    finding[key] = version
            delivered = orjson.dumps(eventbridge(name, finding, index, version))
            finding_bytes += len(orjson.dumps(finding))
            delivered_bytes += len(delivered)
            batch.extend(map_bytes(delivered, ctx, f"finding-{index}").events)
            if len(batch) >= BATCH_SIZE:
                events += store.write(batch).stored
                batch = []
        events += store.write(batch).stored if batch else 0
        store.close()
        stored_bytes = sum(path.stat().st_size for path in Path(directory).glob(f"{FILE_NAME}*"))
    print(f"findings {count:,} from {len(templates)} samples; events stored {events:,}")
    print(f"findings JSON      {finding_bytes / 1e6:10.1f} MB  {finding_bytes / events:8.0f} B/event")
    print(f"EventBridge events {delivered_bytes / 1e6:10.1f} MB  {delivered_bytes / events:8.0f} B/event")
    print(f"DuckDB store       {stored_bytes / 1e6:10.1f} MB  {stored_bytes / events:8.0f} B/event")
    print(f"ratio: findings / store {finding_bytes / stored_bytes:.1f}x,"
          f" delivered / store {delivered_bytes / stored_bytes:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
