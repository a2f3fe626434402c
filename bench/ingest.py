"""Ingest throughput: store writes against a raw DuckDB insert of the same rows, and ``threatlake ingest``.

    python bench/ingest.py [--findings 30000] [--files 6] [--batch 50000 500] [--rounds 3] [--stored 0]

The corpus is every shared sample and fixture finding that maps to GuardDuty or Security Hub, copied with a
fresh id and version time for each copy, written as NDJSON files of EventBridge events (as the forwarder
delivers them) into a temporary directory, and mapped once. Then, alternating the two in rounds on fresh
databases (``--stored N`` first fills each with N generated events, as ``bench/query.py`` makes them):

- store write: events/s of ``Store.write`` for the mapped events (dicts → Arrow, duplicate check, insert,
  commit; ``latest`` is folded after the write, off its path) in batches of ``--batch`` events, until
  ``close`` (which folds what ``latest`` lacks) and, as ``acknowledged``, until the last write returned;
- raw insert: events/s of DuckDB alone for the same rows, already in Arrow, into the same ``events`` table
  (``INSERT ... SELECT`` + ``COMMIT`` per batch); ``store write (Arrow)`` is the store's share of it without
  the dict → Arrow conversion, so the ratios say where the rest goes;
- end to end: findings/s of the ingest command's own loop (read, decode, map, store) on a fresh store, and
  re-ingest: findings/s when every event is already stored (the idempotent path).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mapping import WRAPPED_SOURCES, eventbridge
from bench.query import generate
from threatlake.cli import GC_THRESHOLDS
from threatlake.cli.inputs import read_inputs
from threatlake.model import Event
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.service.ingest import BATCH_SIZE, ingest_inputs, local_ingest
from threatlake.sources import source_for
from threatlake.sources.envelope import unwrap
from threatlake.state import memory_state
from threatlake.store import open_store
from threatlake.store.arrow import dedupe, to_table
from threatlake.store.duckdb import FILE_NAME
from threatlake.store.schema import EVENTS

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


def _prepared(root: Path, name: str, stored: int, template: Path | None) -> Path:
    """A fresh store directory, holding a copy of ``template`` (``stored`` generated events) if any."""
    directory = root / name
    directory.mkdir()
    if template is not None:
        (directory / FILE_NAME).write_bytes((template / FILE_NAME).read_bytes())
    elif stored:
        generate(directory, stored)
    return directory


# Seconds of the last store write until its writes were acknowledged (before ``close`` folds ``latest``).
_ACKNOWLEDGED: list[float] = []


def _store_write(directory: Path, batches: list[list[Event]]) -> float:
    """``Store.write`` per batch; the time includes ``close``, which folds what ``latest`` still lacks (the
    time until the last write returned goes to ``_ACKNOWLEDGED``)."""
    store = open_store(directory)
    started = time.perf_counter()
    for batch in batches:
        store.write(batch)
    _ACKNOWLEDGED.append(time.perf_counter() - started)
    store.close()
    return time.perf_counter() - started


def _store_write_arrow(directory: Path, tables: list[pa.Table]) -> float:
    """``Store.write`` past its dict → Arrow step (the same statements, from prebuilt tables)."""
    store: Any = open_store(directory)
    started = time.perf_counter()
    for table in tables:
        with store._lock:
            store._pending.add(store._insert(table))
        store._folder.poke()
    store.close()
    return time.perf_counter() - started


def _raw_insert(directory: Path, tables: list[pa.Table]) -> float:
    """DuckDB alone: the same Arrow rows into the store's ``events`` table, one transaction per batch."""
    open_store(directory).close()  # the schema exactly as the store makes it
    connection = duckdb.connect(str(directory / FILE_NAME))
    statement = f"INSERT INTO {EVENTS} SELECT * FROM staging"
    started = time.perf_counter()
    for table in tables:
        connection.begin()
        connection.register("staging", table)
        connection.execute(statement).fetchall()
        connection.unregister("staging")
        connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def _compare(root: Path, events: list[Event], batch: int, rounds: int, stored: int) -> None:
    batches = [events[offset : offset + batch] for offset in range(0, len(events), batch)]
    tables = [to_table(dedupe(part)[0]) for part in batches]
    template = _prepared(root, f"template-{batch}", stored, None) if stored else None
    runs: dict[str, list[float]] = {
        "store write": [],
        "  acknowledged": [],
        "store write (Arrow)": [],
        "raw insert": [],
    }
    work: dict[str, Callable[[Path], float]] = {
        "store write": lambda directory: _store_write(directory, batches),
        "store write (Arrow)": lambda directory: _store_write_arrow(directory, tables),
        "raw insert": lambda directory: _raw_insert(directory, tables),
    }
    for number in range(rounds):
        for name, run in work.items():  # alternated, so load on the machine hits all of them alike
            directory = _prepared(root, f"{name.replace(' ', '-')}-{batch}-{number}", stored, template)
            runs[name].append(len(events) / run(directory))
            if name == "store write":  # the same run, until its last write returned (no fold at close)
                runs["  acknowledged"].append(len(events) / _ACKNOWLEDGED.pop())
    raw = statistics.median(runs["raw insert"])
    print(f"batches of {batch:,} events, {stored:,} stored before, {rounds} rounds (median, min-max):")
    for name, rates in runs.items():
        ratio = statistics.median(rates) / raw
        spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
        print(f"  {name:20}: {statistics.median(rates):10,.0f} events/s ({spread})  {ratio:5.2f}x raw")


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)  # as `threatlake ingest` runs (cli.main sets it)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--findings", type=int, default=30_000)
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--batch", type=int, nargs="+", default=[BATCH_SIZE, 500], help="events per write")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stored", type=int, default=0, help="events in each store before the writes")
    parser.add_argument("--no-end-to-end", action="store_true", help="only compare the writes")
    args = parser.parse_args()
    ctx = IngestContext(received_at=RECEIVED_AT, source="bench")
    with tempfile.TemporaryDirectory(prefix="threatlake-bench-") as tmp:
        root = Path(tmp)
        inputs = root / "inputs"
        inputs.mkdir()
        corpus(args.findings, args.files, inputs)
        size = sum(path.stat().st_size for path in inputs.iterdir())
        mapped = [event for _, data in read_inputs([str(inputs)]) for event in map_bytes(data, ctx).events]
        events = dedupe(mapped)[0]  # every write stores all of its rows, as the raw insert does
        print(
            f"corpus: {args.findings:,} findings → {len(events):,} events, "
            f"{size / 1e6:.1f} MB NDJSON in {args.files} files"
        )
        for batch in args.batch:
            _compare(root, events, batch, args.rounds, args.stored)
        if args.no_end_to_end:
            return
        store = open_store(root / "end-to-end")
        with local_ingest(store, memory_state(), connection=None, now=RECEIVED_AT) as ingest:
            started = time.perf_counter()
            summary = ingest_inputs(ingest, read_inputs([str(inputs)]), ctx, args.batch[0])
            end_to_end = time.perf_counter() - started
            started = time.perf_counter()
            again = ingest_inputs(ingest, read_inputs([str(inputs)]), ctx, args.batch[0])
            reingest = time.perf_counter() - started
        store.close()
    n, stored = summary.received, summary.stored
    assert not summary.rejections, summary.rejections[:3]
    assert again.stored == 0
    print(f"end to end : {n / end_to_end:10,.0f} findings/s  ({stored / end_to_end:,.0f} events/s stored)")
    print(f"re-ingest  : {n / reingest:10,.0f} findings/s  (everything already stored)")


if __name__ == "__main__":
    main()
