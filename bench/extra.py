"""Members of ``extra`` on chDB: the JSON text (A) against the typed maps and a promoted column (B).

    python bench/extra.py [--size 1000000] [--repeat 7] [--data-dir DIR]

One chDB store holds ``size`` generated events (``bench/stores/generator.py``) with an ``extra`` of eight
members (a string with 5 values, an integer, a fractional double, a boolean, an array, an object, a long
text) and the promoted key ``service.action`` holding the same strings as ``svc.action``. A second store
holds the same rows without migration 6 (``extra`` alone, as before the maps): the two inserts are timed
(the corpus is generated inside the insert, so the ratio understates the fill's share) and the maps' bytes
are given. Each query is compiled twice for ClickHouse from the same DQL: A with the
member reads of main (``JSONExtractRaw`` of ``extra``, the maps left unread), B as the compiler emits them
now (the maps; the promoted column for ``service.action``). A and B run alternately on the same table, so
load hits them alike; the script prints each one's p50, B/A, and whether they gave the same answer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores.generator import select
from threatlake.query import clickhouse_json, compile_query, to_result
from threatlake.store.clickhouse import ChdbClient, ClickHouseStore
from threatlake.store.clickhouse.schema import Target, bootstrap, plan
from threatlake.store.schema import EVENTS

NOW = datetime(2026, 11, 15, tzinfo=UTC)
FROM = datetime(2026, 11, 1, tzinfo=UTC)
_ACTION = (
    "['PORT_PROBE', 'DNS_REQUEST', 'AWS_API_CALL', 'NETWORK_CONNECTION', 'KUBERNETES_API_CALL'][i % 5 + 1]"
)
#: ``extra`` of row ``i``: eight members, about 300 bytes.
EXTRA = (
    f'concat(\'{{"svc.action":"\', {_ACTION}, \'","service.action":"\', {_ACTION}, '
    '\'","svc.count":\', toString(i % 1000), '
    "',\"svc.score\":', toString((i % 97) / 10 + 0.05), ',\"svc.flag\":', if(i % 3 = 0, 'true', 'false'), "
    '\',"svc.tags":["t\', toString(i % 7), \'","shared"],"svc.obj":{"depth":\', toString(i % 4), '
    '\',"name":"n\', toString(i % 11), \'"},"svc.note":"\', repeat(\'synthetic member text \', 5), '
    "toString(i), '\"}')"
)
QUERIES = {
    "filter string member": (
        'fetch security.events | filter svc.action == "DNS_REQUEST" | summarize n = count()'
    ),
    "filter number member": "fetch security.events | filter svc.count >= 990 | summarize n = count()",
    "summarize by string member": "fetch security.events | summarize n = count(), by:{svc.action}",
    "avg of number member by string member": (
        "fetch security.events | summarize s = avg(svc.score), by:{svc.action}"
    ),
    "filter promoted key": (
        'fetch security.events | filter service.action == "DNS_REQUEST" | summarize n = count()'
    ),
    "summarize by promoted key": "fetch security.events | summarize n = count(), by:{service.action}",
}


@contextmanager
def json_path() -> Iterator[None]:
    """A: member reads as main compiles them (no map reads)."""
    found = clickhouse_json.extra_reads
    clickhouse_json.extra_reads = lambda tree, values: {}  # type: ignore[assignment]
    try:
        yield
    finally:
        clickhouse_json.extra_reads = found  # type: ignore[assignment]


def _store(root: Path, database: str, *, maps: bool, size: int) -> tuple[ClickHouseStore, float]:
    client = ChdbClient(root, database)
    client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
    store = ClickHouseStore(client, database, migrate=maps)
    if not maps:  # the schema before migration 6
        steps = [step for step in plan(Target(database)) if step.version < 6]
        for statement in [
            *bootstrap(Target(database)),
            *(text for step in steps for text in step.statements),
        ]:
            client.command(statement)
    insert = select("clickhouse", size).replace(") SELECT ", ', "extra") SELECT ', 1)
    insert = insert.replace(" FROM (SELECT number", f", {EXTRA} FROM (SELECT number", 1)
    started = time.perf_counter()
    client.command(f"INSERT INTO {EVENTS} {insert}")
    elapsed = time.perf_counter() - started
    client.command(f"OPTIMIZE TABLE {EVENTS} FINAL")
    return store, elapsed


def _disk(store: ClickHouseStore) -> dict[str, int]:
    rows = store.execute(
        "SELECT name, data_compressed_bytes AS c FROM system.columns "
        "WHERE database = {d:String} AND table = 'events'",
        {"d": store.database},
    )
    return {row["name"]: int(row["c"]) for row in rows.to_pylist()}


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _run(store: ClickHouseStore, dql: str, *, maps: bool) -> tuple[float, Any]:
    started = time.perf_counter()
    if maps:
        compiled = compile_query(dql, dialect="clickhouse", now=NOW, default_from=FROM, default_to=NOW)
    else:
        with json_path():
            compiled = compile_query(dql, dialect="clickhouse", now=NOW, default_from=FROM, default_to=NOW)
        assert "mapContains" not in compiled.sql and "extra.service" not in compiled.sql
    records = to_result(compiled, store.execute(compiled.sql, compiled.params))["records"]
    return time.perf_counter() - started, sorted(map(_rounded, records), key=repr)


def _rounded(record: dict[str, Any]) -> dict[str, Any]:
    """Floats to 12 significant digits: parallel aggregation sums in no fixed order."""
    return {k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in record.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-extra-") as scratch:
        root = (args.data_dir or Path(scratch)) / "chdb-extra"
        plain, plain_insert = _store(root, "extra_json", maps=False, size=args.size)
        mapped, mapped_insert = _store(root, "extra_maps", maps=True, size=args.size)
        print(f"{args.size:,} events; load average {_load()} at the start")
        print(
            f"insert: JSON only {plain_insert:.2f} s, with maps {mapped_insert:.2f} s "
            f"(B/A {mapped_insert / plain_insert:.2f})"
        )
        before, after = _disk(plain), _disk(mapped)
        added = {name: size for name, size in after.items() if name not in before}
        total, maps = max(sum(after.values()), 1), sum(added.values())  # compact parts report 0
        print(
            f"events with the maps: {total / 1e6:.1f} MB on disk, the maps {maps / 1e6:.1f} MB "
            f"({100 * maps / total:.0f} %: "
            + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in added.items())
            + f"); extra {after['extra'] / 1e6:.1f} MB"
        )
        print(f"{'query':40} {'A JSON p50':>11} {'B maps p50':>11} {'B/A':>6}  same")
        for name, dql in QUERIES.items():
            times: dict[bool, list[float]] = {False: [], True: []}
            answers: dict[bool, Any] = {}
            for _ in range(args.repeat):
                for maps in (False, True):
                    elapsed, answers[maps] = _run(mapped, dql, maps=maps)
                    times[maps].append(elapsed)
            a, b = statistics.median(times[False]), statistics.median(times[True])
            same = "yes" if answers[False] == answers[True] else "NO"
            print(f"{name:40} {a * 1000:9.1f}ms {b * 1000:9.1f}ms {b / a:6.2f}  {same}")
        print(f"load average {_load()} at the end")
        plain.close()
        mapped.close()


if __name__ == "__main__":
    main()
