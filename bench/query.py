"""Query latency: the DQL path against hand-written DuckDB SQL on 1M and 5M realistic events.

    python bench/query.py [--sizes 1000000 5000000] [--repeat 7] [--data-dir DIR]

Generates the events inside DuckDB (fast, no Python rows): a mix of GuardDuty detections, Security Hub
compliance and vulnerability findings over 200 accounts and 14 days, several versions per finding. For a
dashboard suite it prints the p50 of the DQL path (compile + execute + result shaping), the p50 of the
equivalent hand-written SQL (execute + fetch), their ratio, and the compile time alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from threatlake.query import compile_query, to_result
from threatlake.store import open_store

NOW = datetime(2026, 11, 15, tzinfo=UTC)
FROM = datetime(2026, 11, 1, tzinfo=UTC)

# Columns filled by the generator; every other catalogue column stays null. Built in SQL from i (row number).
_GENERATED = {
    # Spread over the 14 days before NOW: a pseudo-random second of the fortnight, plus microseconds.
    "timestamp": "TIMESTAMP '2026-11-01' + to_microseconds((i * 104729) % 1209600 * 1000000 + i % 1000000)",
    "event.id": "md5(CAST(i AS VARCHAR))",
    "event.kind": "'SECURITY_EVENT'",
    "event.provider": "CASE WHEN i % 10 < 4 THEN 'Amazon GuardDuty' ELSE 'AWS Security Hub' END",
    "event.type": "CASE WHEN i % 10 < 5 THEN 'DETECTION_FINDING' WHEN i % 10 < 8 THEN 'COMPLIANCE_FINDING' "
    "ELSE 'VULNERABILITY_FINDING' END",
    "finding.id": "'f-' || CAST(i % 250000 AS VARCHAR)",
    "finding.type": "CASE i % 7 WHEN 0 THEN 'Recon:EC2/PortProbeUnprotectedPort' "
    "WHEN 1 THEN 'UnauthorizedAccess:EC2/SSHBruteForce' "
    "WHEN 2 THEN 'Software and Configuration Checks/Vulnerabilities/CVE' ELSE "
    "'Software and Configuration Checks/Industry and Regulatory Standards' END",
    "dt.security.risk.level": "CASE WHEN i % 100 < 3 THEN 'CRITICAL' WHEN i % 100 < 15 THEN 'HIGH' "
    "WHEN i % 100 < 50 THEN 'MEDIUM' WHEN i % 100 < 90 THEN 'LOW' ELSE 'NONE' END",
    "dt.security.risk.score": "CAST(i % 100 AS DOUBLE) / 10",
    "object.id": "'arn:aws:ec2:eu-west-1:' || lpad(CAST(i % 200 AS VARCHAR), 12, '0') || ':instance/i-' "
    "|| CAST(i % 40000 AS VARCHAR)",
    "object.type": "'AwsEc2Instance'",
    "aws.account.id": "lpad(CAST((i * 31) % 200 AS VARCHAR), 12, '0')",
    "aws.region": "CASE i % 3 WHEN 0 THEN 'eu-west-1' WHEN 1 THEN 'us-east-1' ELSE 'ap-southeast-2' END",
    "vulnerability.id": "CASE WHEN i % 10 >= 8 THEN 'CVE-2024-' || CAST(i % 5000 AS VARCHAR) END",
    "dt.system.bucket": "'default_securityevents'",
    "cloud.provider": "'aws'",
    "dt.raw_data": '\'{"id":"f-\' || CAST(i % 250000 AS VARCHAR) || \'","note":"synthetic finding for the '
    "query benchmark\"}'",
}

LATEST_STATE = "latest state per finding"
SUITE: tuple[tuple[str, str, str], ...] = (
    (
        "filtered count",
        'fetch security.events | filter event.provider == "Amazon GuardDuty" and dt.security.risk.level == '
        '"CRITICAL" | summarize n = count()',
        """SELECT count(*) AS n FROM events WHERE "timestamp" >= $1 AND "timestamp" < $2
           AND "event.provider" = 'Amazon GuardDuty' AND "dt.security.risk.level" = 'CRITICAL'""",
    ),
    (
        "top-10 accounts",
        "fetch security.events | summarize n = count(), by:{aws.account.id} | sort n desc | limit 10",
        """SELECT "aws.account.id", count(*) AS n FROM events WHERE "timestamp" >= $1 AND "timestamp" < $2
           GROUP BY 1 ORDER BY n DESC LIMIT 10""",
    ),
    (
        "hourly timeseries 7d",
        "fetch security.events, from:-7d | makeTimeseries n = count(), interval:1h",
        """SELECT time_bucket(INTERVAL 1 HOUR, "timestamp") AS t, count(*) AS n FROM events
           WHERE "timestamp" >= $2 - INTERVAL 7 DAY AND "timestamp" < $2 AND $1 IS NOT NULL
           GROUP BY 1 ORDER BY 1""",
    ),
    (
        "distinct objects",
        "fetch security.events | summarize n = countDistinct(object.id)",
        """SELECT count(DISTINCT "object.id") AS n FROM events
           WHERE "timestamp" >= $1 AND "timestamp" < $2""",
    ),
    (
        LATEST_STATE,
        "fetch security.events | dedup {finding.id, object.id}, sort:{timestamp desc} "
        "| summarize n = count(), by:{dt.security.risk.level}",
        """SELECT "dt.security.risk.level", count(*) AS n FROM (
             SELECT * FROM events WHERE "timestamp" >= $1 AND "timestamp" < $2
             QUALIFY row_number() OVER (PARTITION BY "finding.id", "object.id" ORDER BY "timestamp" DESC) = 1)
           GROUP BY 1""",
    ),
)


def generate(data_dir: Path, size: int) -> None:
    open_store(data_dir).close()  # creates the schema exactly as the service does
    columns = ", ".join(f'"{name}"' for name in _GENERATED)
    values = ", ".join(_GENERATED.values())
    with duckdb.connect(str(data_dir / "threatlake.duckdb")) as connection:
        connection.execute(f"INSERT INTO events ({columns}) SELECT {values} FROM range({size}) AS r(i)")
        # Past the store's write path: say ``latest`` lacks these rows, so the store rebuilds it on open.
        connection.execute("UPDATE latest_state SET folded = false")


def p50(repeat: int, work: Callable[[], object]) -> float:
    work()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def bench(data_dir: Path, size: int, repeat: int) -> None:
    generate(data_dir, size)
    started = time.perf_counter()
    store = open_store(data_dir)
    print(f"\n{size:,} events (opening the store rebuilt latest in {time.perf_counter() - started:.1f} s)")
    params = [FROM.replace(tzinfo=None), NOW.replace(tzinfo=None)]
    print(f"{'query':26} {'DQL p50 ms':>11} {'SQL p50 ms':>11} {'ratio':>6} {'compile ms':>11}")
    for name, dql, sql in SUITE:

        def dql_path(text: str = dql) -> object:
            compiled = compile_query(text, now=NOW, default_from=FROM, default_to=NOW)
            return to_result(compiled, store.execute(compiled.sql, compiled.params))

        def sql_path(text: str = sql) -> object:
            return store.execute(text, params).to_pylist()

        def compile_only(text: str = dql) -> object:
            return compile_query(text, now=NOW, default_from=FROM, default_to=NOW)

        if name == LATEST_STATE:  # read from ``latest``: the same answer as the window over ``events``
            compiled = compile_only()
            answer = store.execute(compiled.sql, compiled.params).to_pylist()  # type: ignore[attr-defined]
            expected = store.execute(sql, params).to_pylist()
            assert sorted(map(str, answer)) == sorted(map(str, expected)), (answer, expected)
        dql_ms, sql_ms = p50(repeat, dql_path), p50(repeat, sql_path)
        compile_ms = p50(repeat * 5, compile_only)
        print(f"{name:26} {dql_ms:11.1f} {sql_ms:11.1f} {dql_ms / sql_ms:6.2f} {compile_ms:11.2f}")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where to build the stores (default: a temp dir)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.data_dir) as scratch:
        for size in args.sizes:
            bench(Path(scratch) / f"events-{size}", size, args.repeat)


if __name__ == "__main__":
    main()
