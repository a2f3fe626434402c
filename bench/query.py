"""Query latency: the DQL path against hand-written SQL, on DuckDB and chDB side by side, at 1M and 5M events.

    python bench/query.py [--store duckdb,chdb] [--sizes 1000000 5000000] [--repeat 7] [--data-dir DIR]

Each store holds the generated corpus (``bench/stores/generator.py``: GuardDuty detections, Security Hub
compliance and vulnerability findings over 200 accounts and 14 days, five versions per finding state at 5M),
made inside its engine; with ``--data-dir`` the stores are kept there and reused by the next run (the
5M corpus is generated once per store), else they live in a temporary directory. For a dashboard suite it
prints, per store, the p50 of the DQL path (compile for the store's dialect + execute + result shaping), the
p50 of the equivalent hand-written SQL of that engine (execute + fetch, through the store, so with its read
settings), their ratio and the compile time alone; then the second store's DQL time over the first's, and
whether the stores gave the same DQL answer. The queries of one size run alternately on the stores, so
load on the machine hits them alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stores import Engine, engines
from threatlake.query import compile_query, to_result
from threatlake.store import Store

NOW = datetime(2026, 11, 15, tzinfo=UTC)
FROM = datetime(2026, 11, 1, tzinfo=UTC)
_CH_FROM, _CH_TO = "{p1:DateTime64(6)}", "{p2:DateTime64(6)}"


@dataclass(frozen=True)
class Query:
    """One dashboard query: its DQL, the hand-written SQL per engine (``$1``/``{p1}``: from, ``$2``/``{p2}``:
    to), and whether its answer is unique (``exact``: a top-10 over tied counts is not)."""

    name: str
    dql: str
    sql: dict[str, str]
    exact: bool = True


LATEST_STATE = "latest state per finding"
NEWEST_PER_FINDING = "newest version per finding.id"
SUITE: tuple[Query, ...] = (
    Query(
        "filtered count",
        'fetch security.events | filter event.provider == "Amazon GuardDuty" and dt.security.risk.level == '
        '"CRITICAL" | summarize n = count()',
        {
            "duckdb": """SELECT count(*) AS n FROM events WHERE "timestamp" >= $1 AND "timestamp" < $2
                AND "event.provider" = 'Amazon GuardDuty' AND "dt.security.risk.level" = 'CRITICAL'""",
            "chdb": f"""SELECT count() AS n FROM events
                WHERE "timestamp" >= {_CH_FROM} AND "timestamp" < {_CH_TO}
                AND "event.provider" = 'Amazon GuardDuty' AND "dt.security.risk.level" = 'CRITICAL'""",
        },
    ),
    Query(
        "top-10 accounts",
        "fetch security.events | summarize n = count(), by:{aws.account.id} | sort n desc | limit 10",
        {
            "duckdb": """SELECT "aws.account.id", count(*) AS n FROM events
                WHERE "timestamp" >= $1 AND "timestamp" < $2 GROUP BY 1 ORDER BY n DESC LIMIT 10""",
            "chdb": f"""SELECT "aws.account.id", count() AS n FROM events
                WHERE "timestamp" >= {_CH_FROM} AND "timestamp" < {_CH_TO}
                GROUP BY "aws.account.id" ORDER BY n DESC LIMIT 10""",
        },
        exact=False,  # 200 accounts with equal counts: any ten are right
    ),
    Query(
        "hourly timeseries 7d",
        "fetch security.events, from:-7d | makeTimeseries n = count(), interval:1h",
        {
            "duckdb": """SELECT time_bucket(INTERVAL 1 HOUR, "timestamp") AS t, count(*) AS n FROM events
                WHERE "timestamp" >= $2 - INTERVAL 7 DAY AND "timestamp" < $2 AND $1 IS NOT NULL
                GROUP BY 1 ORDER BY 1""",
            "chdb": f"""SELECT toStartOfHour("timestamp") AS t, count() AS n FROM events
                WHERE "timestamp" >= {_CH_TO} - INTERVAL 7 DAY AND "timestamp" < {_CH_TO}
                AND {_CH_FROM} IS NOT NULL GROUP BY t ORDER BY t""",
        },
    ),
    Query(
        "distinct objects",
        "fetch security.events | summarize n = countDistinct(object.id)",
        {
            "duckdb": """SELECT count(DISTINCT "object.id") AS n FROM events
                WHERE "timestamp" >= $1 AND "timestamp" < $2""",
            "chdb": f"""SELECT uniqExact("object.id") AS n FROM events
                WHERE "timestamp" >= {_CH_FROM} AND "timestamp" < {_CH_TO}""",
        },
    ),
    Query(
        LATEST_STATE,
        "fetch security.events | dedup {finding.id, object.id}, sort:{timestamp desc} "
        "| summarize n = count(), by:{dt.security.risk.level}",
        {
            "duckdb": """SELECT "dt.security.risk.level", count(*) AS n FROM (
                SELECT * FROM events WHERE "timestamp" >= $1 AND "timestamp" < $2
                QUALIFY row_number() OVER (
                    PARTITION BY "finding.id", "object.id" ORDER BY "timestamp" DESC) = 1)
                GROUP BY 1""",
            # ClickHouse's own idiom: the newest value per key by aggregation, no window
            "chdb": f"""SELECT level AS "dt.security.risk.level", count() AS n FROM (
                SELECT argMax("dt.security.risk.level", "timestamp") AS level FROM events
                WHERE "timestamp" >= {_CH_FROM} AND "timestamp" < {_CH_TO}
                GROUP BY "finding.id", "object.id") GROUP BY level""",
        },
    ),
    Query(
        NEWEST_PER_FINDING,  # the lists' and dashboards' key: DuckDB keeps it (latest.newest_of_finding)
        "fetch security.events | dedup {finding.id}, sort:{timestamp desc} "
        "| summarize n = count(), by:{dt.security.risk.level}",
        {
            "duckdb": """SELECT "dt.security.risk.level", count(*) AS n FROM (
                SELECT * FROM events WHERE "timestamp" >= $1 AND "timestamp" < $2
                QUALIFY row_number() OVER (
                    PARTITION BY "finding.id" ORDER BY "timestamp" DESC, "event.id" DESC) = 1)
                GROUP BY 1""",
            "chdb": f"""SELECT level AS "dt.security.risk.level", count() AS n FROM (
                SELECT argMax("dt.security.risk.level", ("timestamp", "event.id")) AS level FROM events
                WHERE "timestamp" >= {_CH_FROM} AND "timestamp" < {_CH_TO}
                GROUP BY "finding.id") GROUP BY level""",
        },
    ),
)


@dataclass
class Figures:
    dql_ms: float
    sql_ms: float
    compile_ms: float
    answer: list[str]


def p50(repeat: int, work: Callable[[], object]) -> float:
    work()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _rows(table: Any) -> list[str]:
    return sorted(map(str, table.to_pylist() if hasattr(table, "to_pylist") else table))


def measure(engine: Engine, store: Store, query: Query, repeat: int) -> Figures:
    """p50s of ``query`` on ``store``; the latest-state DQL answer checked against the hand-written SQL."""
    params = [FROM.replace(tzinfo=None), NOW.replace(tzinfo=None)]
    sql = query.sql[engine.name]

    def compile_only() -> Any:
        return compile_query(query.dql, dialect=store.dialect, now=NOW, default_from=FROM, default_to=NOW)

    def dql_path() -> dict[str, Any]:
        compiled = compile_only()
        return to_result(compiled, store.execute(compiled.sql, compiled.params))

    def sql_path() -> object:
        return store.execute(sql, params).to_pylist()

    compiled = compile_only()
    answer = _rows(to_result(compiled, store.execute(compiled.sql, compiled.params))["records"])
    if query.name in {LATEST_STATE, NEWEST_PER_FINDING}:  # the hand-written answer, whatever the store reads
        expected = _rows(store.execute(sql, params))
        assert _rows(store.execute(compiled.sql, compiled.params)) == expected, (engine.name, expected)
    dql_ms, sql_ms = p50(repeat, dql_path), p50(repeat, sql_path)
    return Figures(dql_ms, sql_ms, p50(repeat * 5, compile_only), answer)


def profile(chosen: list[Engine], stores: list[Store], repeat: int) -> None:
    """Per store, the hand-written SQL through the store against the engine past the store's read settings."""
    params = [FROM.replace(tzinfo=None), NOW.replace(tzinfo=None)]
    print("\nprofile: hand-written SQL through the store vs the engine alone (chDB: without FINAL), p50 ms")
    print(
        f"{'query':24} " + " ".join(f"| {e.name + ' store':>13} {'engine':>8} {'ratio':>6}" for e in chosen)
    )
    for query in SUITE:
        cells = [f"{query.name:24}"]
        for engine, store in zip(chosen, stores, strict=True):
            sql = query.sql[engine.name]
            via_store = p50(repeat, lambda: store.execute(sql, params).to_pylist())  # noqa: B023
            alone = p50(repeat, lambda: engine.plain(store, sql, params).to_pylist())  # noqa: B023
            cells.append(f"| {via_store:13.1f} {alone:8.1f} {via_store / alone:6.2f}")
        print(" ".join(cells), flush=True)


def _header(names: list[str]) -> str:
    cells = [f"{'query':24}"]
    for name in names:
        cells.append(f"| {name + ' DQL ms':>14} {'SQL ms':>9} {'DQL/SQL':>7} {'compile':>7}")
    if len(names) > 1:
        cells.append(f"| {f'{names[1]}/{names[0]} DQL':>16} {'same answer':>11}")
    return " ".join(cells)


def _line(query: Query, figures: list[Figures]) -> str:
    cells = [f"{query.name:24}"]
    for item in figures:
        ratio = item.dql_ms / item.sql_ms
        cells.append(f"| {item.dql_ms:14.1f} {item.sql_ms:9.1f} {ratio:7.2f} {item.compile_ms:7.2f}")
    if len(figures) > 1:
        same = "yes" if figures[0].answer == figures[1].answer else "NO"
        cells.append(
            f"| {figures[1].dql_ms / figures[0].dql_ms:16.2f} {same if query.exact else '(ties)':>11}"
        )
    return " ".join(cells)


def bench(chosen: list[Engine], size: int, repeat: int, *, with_profile: bool = False) -> None:
    stores = []
    for engine in chosen:
        started = time.perf_counter()
        stores.append(engine.generated(size))
        print(f"{engine.name}: {size:,} events ready in {time.perf_counter() - started:.1f} s", flush=True)
    print(f"\n{size:,} events, p50 of {repeat} runs (compile: ms, p50 of {repeat * 5})")
    print(_header([engine.name for engine in chosen]))
    for query in SUITE:
        figures = [
            measure(engine, store, query, repeat) for engine, store in zip(chosen, stores, strict=True)
        ]
        print(_line(query, figures), flush=True)
    if with_profile:
        profile(chosen, stores, repeat)
    for store in stores:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", default="duckdb", help="stores to compare, comma-separated: duckdb,chdb")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="keep the generated stores here, reuse them (default: temp)",
    )
    parser.add_argument("--profile", action="store_true", help="also time the SQL past the store's settings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.data_dir or Path(scratch)
        chosen = engines(args.store, root)
        for size in args.sizes:
            bench(chosen, size, args.repeat, with_profile=args.profile)


if __name__ == "__main__":
    main()
