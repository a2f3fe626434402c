"""Ingest throughput: store writes against the raw insert of each engine, DuckDB and chDB side by side.

    python bench/ingest.py [--store duckdb,chdb] [--findings 30000] [--files 6] [--batch 50000 500]
                           [--rounds 3] [--stored 0 1000000 5000000] [--data-dir DIR]

The corpus is every shared sample and fixture finding that maps to GuardDuty or Security Hub, copied with a
fresh id and version time for each copy, written as NDJSON files of EventBridge events (as the forwarder
delivers them) into a temporary directory, and mapped once. Then, per number of events stored before
(``--stored``: each store a copy of ``bench/query.py``'s generated corpus of that size, made once and kept
in ``--data-dir`` if given) and per batch size, alternating stores and kinds in rounds on fresh copies:

- store write, acknowledged: events/s of ``Store.write`` for the mapped events (dicts → Arrow, duplicate
  check, insert, commit) in batches of ``--batch`` events, until the last ``write`` returned: what a client
  waits for before its 202 (DuckDB's fold of ``latest`` runs beside it, off the write's path);
- store write + fold: the same writes until ``close`` has returned, which folds what ``latest`` still lacks:
  the sustained rate, the second copy of every row included;
- rows write, acknowledged / rows write + fold: ``Store.write_rows`` of the same events already prepared
  (``threatlake.store.rows.prepare``: dedupe + dict → Arrow, outside the clock), which is what the service's
  writer thread now does (the conversion runs in the request's thread or a map worker);
- prepare: the conversion alone (``prepare`` of each batch), as events/s and µs an event, so the note can
  say what moved off the writer;
- raw insert: events/s of the engine alone for the same rows, already in Arrow, into the same ``events``
  table: DuckDB ``INSERT ... SELECT`` + ``COMMIT`` per batch; chDB one Arrow insert per batch (no id lookup,
  no deduplication token);
- end to end: findings/s of the ingest command's own loop (read, decode, map, store) on a fresh store, and
  re-ingest: findings/s when every event is already stored (the idempotent path).

Each line gives the rate, its ratio to that engine's raw insert and, for the second store, to the first's.
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

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.mapping import WRAPPED_SOURCES, eventbridge
from bench.stores import Engine, engines
from threatlake.cli import GC_THRESHOLDS
from threatlake.cli.inputs import read_inputs
from threatlake.model import Event
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.service.ingest import BATCH_SIZE, ingest_inputs, local_ingest
from threatlake.sources import source_for
from threatlake.sources.envelope import unwrap
from threatlake.state import memory_state
from threatlake.store import Store
from threatlake.store.arrow import dedupe
from threatlake.store.protocol import Rows
from threatlake.store.rows import prepare

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


def _timed_writes(
    engine: Engine, name: str, stored: int, write: Callable[[Store], None]
) -> tuple[float, float]:
    """Seconds until the last write returned (acknowledged) and until ``close`` returned (fold included)."""
    store = engine.copy(name, stored)
    started = time.perf_counter()
    write(store)
    acknowledged = time.perf_counter() - started
    store.close()
    return acknowledged, time.perf_counter() - started


def _store_write(engine: Engine, name: str, stored: int, batches: list[list[Event]]) -> tuple[float, float]:
    """``Store.write`` per batch."""

    def write(store: Store) -> None:
        for batch in batches:
            store.write(batch)

    return _timed_writes(engine, name, stored, write)


def _store_write_rows(engine: Engine, name: str, stored: int, rows: list[Rows]) -> tuple[float, float]:
    """``Store.write_rows`` per batch, from rows prepared before (what the service's writer thread does)."""

    def write(store: Store) -> None:
        for part in rows:
            store.write_rows(part)

    return _timed_writes(engine, name, stored, write)


def _prepare(batches: list[list[Event]]) -> float:
    """Seconds ``prepare`` (dedupe + dict → Arrow) takes over every batch: the conversion alone."""
    started = time.perf_counter()
    for batch in batches:
        prepare(batch)
    return time.perf_counter() - started


KINDS = (
    "write, acknowledged",
    "write + fold",
    "rows write, acknowledged",
    "rows write + fold",
    "raw insert",
)


def _compare(chosen: list[Engine], events: list[Event], batch: int, rounds: int, stored: int) -> None:
    batches = [events[offset : offset + batch] for offset in range(0, len(events), batch)]
    rows = [prepare(part) for part in batches]
    tables = [part.table for part in rows]
    for engine in chosen:
        engine.generated(stored).close()  # made before the clock starts
    work: dict[str, Callable[[Engine, str], tuple[float, ...]]] = {
        "write": lambda engine, name: _store_write(engine, name, stored, batches),
        "rows write": lambda engine, name: _store_write_rows(engine, name, stored, rows),
        "raw insert": lambda engine, name: (engine.raw_insert(name, stored, tables),),
    }
    runs: dict[tuple[str, str], list[float]] = {}
    conversion: list[float] = []
    for number in range(rounds):
        conversion.append(_prepare(batches))
        for engine in chosen:  # alternated, so load on the machine hits every store and kind alike
            for index, (kind, run) in enumerate(work.items()):
                name = f"bench_{index}_{batch}_{stored}_{number}"
                seconds = run(engine, name)
                engine.discard(name)
                labels = (kind,) if len(seconds) == 1 else (f"{kind}, acknowledged", f"{kind} + fold")
                for label, elapsed in zip(labels, seconds, strict=True):
                    runs.setdefault((engine.name, label), []).append(len(events) / elapsed)
    first = chosen[0].name
    print(f"batches of {batch:,} events, {stored:,} stored before, {rounds} rounds (median, min-max):")
    converting = statistics.median(conversion)
    print(
        f"  prepare (dedupe + dict → Arrow, off the writer): {len(events) / converting:10,.0f} events/s "
        f"({1e6 * converting / len(events):.1f} µs an event, {1e6 * min(conversion) / len(events):.1f}-"
        f"{1e6 * max(conversion) / len(events):.1f})",
        flush=True,
    )
    for engine in chosen:
        raw = statistics.median(runs[(engine.name, "raw insert")])
        for kind in KINDS:
            rates = runs[(engine.name, kind)]
            rate = statistics.median(rates)
            spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
            versus = rate / statistics.median(runs[(first, kind)])
            beside = f"  {versus:5.2f}x {first}" if engine.name != first else ""
            print(
                f"  {engine.name:7} {kind:25}: {rate:10,.0f} events/s ({spread:>15})"
                f"  {rate / raw:5.2f}x raw{beside}",
                flush=True,
            )


def _end_to_end(engine: Engine, inputs: Path, ctx: IngestContext, batch: int) -> None:
    store = engine.copy("bench_end_to_end", 0)
    with local_ingest(store, memory_state(), connection=None, now=RECEIVED_AT) as ingest:
        started = time.perf_counter()
        summary = ingest_inputs(ingest, read_inputs([str(inputs)]), ctx, batch)
        end_to_end = time.perf_counter() - started
        started = time.perf_counter()
        again = ingest_inputs(ingest, read_inputs([str(inputs)]), ctx, batch)
        reingest = time.perf_counter() - started
    store.close()
    engine.discard("bench_end_to_end")
    n, stored = summary.received, summary.stored
    assert not summary.rejections, summary.rejections[:3]
    assert again.stored == 0
    rate = f"{n / end_to_end:10,.0f} findings/s  ({stored / end_to_end:,.0f} events/s stored)"
    print(f"{engine.name:7} end to end : {rate}")
    print(f"{engine.name:7} re-ingest  : {n / reingest:10,.0f} findings/s  (everything already stored)")


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)  # as `threatlake ingest` runs (cli.main sets it)
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--store", default="duckdb", help="stores to compare, comma-separated: duckdb,chdb")
    parser.add_argument("--findings", type=int, default=30_000)
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--batch", type=int, nargs="+", default=[BATCH_SIZE, 500], help="events per write")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stored", type=int, nargs="+", default=[0], help="events in each store before")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the generated stores here, reuse them (default: temp)",
    )
    parser.add_argument("--no-end-to-end", action="store_true", help="only compare the writes")
    args = parser.parse_args()
    ctx = IngestContext(received_at=RECEIVED_AT, source="bench")
    with tempfile.TemporaryDirectory(prefix="threatlake-bench-") as tmp:
        root = Path(tmp)
        chosen = engines(args.store, args.data_dir or root)
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
        for stored in args.stored:
            for batch in args.batch:
                _compare(chosen, events, batch, args.rounds, stored)
        if not args.no_end_to_end:
            for engine in chosen:
                _end_to_end(engine, inputs, ctx, args.batch[0])


if __name__ == "__main__":
    main()
