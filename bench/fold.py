"""The fold of ``latest`` beside the writes: milliseconds per 500-event write and per fold, against another
checkout of the code in the same run.

    python bench/fold.py [--stored 1000000 5000000] [--writes 6] [--batch 500] [--rounds 3]
                         [--code OTHER_CHECKOUT] [--data-dir DIR]

Per stored size (``--stored``: a copy of ``bench/query.py``'s generated corpus, made once and kept in
``--data-dir``), each run opens a fresh copy of the store in a child process, then ``--writes`` times:
writes ``--batch`` new events mapped from the shared samples and fixtures (``bench/ingest.py``'s corpus,
distinct ids), and folds them into ``latest`` (``DuckDBStore._fold``, what the fold thread runs). It
prints the median write and fold milliseconds of each run. With ``--code``, that checkout runs the same
child (its own ``threatlake`` package, the same interpreter), rounds alternated, and each line gives the
fold's ratio to it: the store's fold measured against the code before a change, in one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores.duckdb import DuckDB
from threatlake.store.duckdb import FILE_NAME

ROOT = Path(__file__).resolve().parents[1]

#: What each child runs: its own checkout first on the path, so ``threatlake`` and ``bench`` are its own.
CHILD = r"""
import json, shutil, statistics, sys, tempfile, time
from pathlib import Path
code, template, writes, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, code)
from bench.ingest import RECEIVED_AT, corpus
from threatlake.cli.inputs import read_inputs
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.store.duckdb import DuckDBStore
with tempfile.TemporaryDirectory() as scratch:
    directory = Path(scratch)
    corpus(writes * batch * 2, 1, directory)
    context = IngestContext(received_at=RECEIVED_AT, source="bench")
    fresh, seen = [], set()
    for _, data in read_inputs([str(directory)]):
        for event in map_bytes(data, context).events:
            if event["event.id"] not in seen:
                seen.add(event["event.id"])
                fresh.append(event)
    if template:
        shutil.copyfile(template, directory / "threatlake.duckdb")
    store = DuckDBStore(directory / "threatlake.duckdb", lag=3600)
    write_ms, fold_ms = [], []
    for number in range(writes):
        started = time.perf_counter()
        store.write(fresh[number * batch : (number + 1) * batch])
        write_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        store._fold()
        fold_ms.append((time.perf_counter() - started) * 1000)
    store.close()
print(json.dumps({"write": statistics.median(write_ms), "fold": statistics.median(fold_ms)}))
"""


def _run(code: Path, template: Path | None, writes: int, batch: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), str(template or ""), str(writes), str(batch)],
        capture_output=True,
        text=True,
        cwd=code,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"the run of {code} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--writes", type=int, default=6)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--code", type=Path, help="another checkout to compare with (A/B, alternated)")
    parser.add_argument("--data-dir", type=Path, required=True, help="where the generated stores are kept")
    args = parser.parse_args()
    trees = {"this": ROOT, **({"other": args.code.resolve()} if args.code else {})}
    engine = DuckDB(args.data_dir)
    for stored in args.stored:
        template = args.data_dir / engine.generated_name(stored) / FILE_NAME if stored else None
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, code in trees.items():
                runs[name].append(_run(code, template, args.writes, args.batch))
        shape = f"{args.writes} writes of {args.batch} events, {args.rounds} rounds"
        print(f"{stored:,} stored, {shape} (medians):")
        fold = {name: statistics.median(run["fold"] for run in done) for name, done in runs.items()}
        for name, done in runs.items():
            write = statistics.median(run["write"] for run in done)
            spread = f"{min(run['fold'] for run in done):,.0f}-{max(run['fold'] for run in done):,.0f}"
            versus = f"  {fold[name] / fold['other']:5.2f}x other" if "other" in fold else ""
            print(f"  {name:5} write {write:8,.1f} ms  fold {fold[name]:8,.1f} ms ({spread:>11}){versus}")


if __name__ == "__main__":
    main()
