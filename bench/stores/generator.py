"""The generated corpus of the query and ingest benchmarks, as one table of column expressions per dialect.

GuardDuty detections, Security Hub compliance and vulnerability findings over 200 accounts and 14 days,
with short raw data. Row ``i`` (0, 1, …) is the same event in every engine: event ``i`` belongs to finding
``f-(i mod 250,000)`` on object ``i mod 40,000``, so the (finding, object) key repeats every 1,000,000 rows
and a corpus of 5M events holds 1M finding states with five versions each. Every other catalogue column
is null.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["COLUMNS", "START", "select"]

START = datetime(2026, 11, 1, tzinfo=UTC)
_START_US = int(START.timestamp()) * 1_000_000
# a pseudo-random second of the fortnight, plus microseconds
_OFFSET_US = "(i * 104729) % 1209600 * 1000000 + i % 1000000"

#: column → (DuckDB expression, ClickHouse expression) of the row number ``i``.
COLUMNS: dict[str, tuple[str, str]] = {
    "timestamp": (
        f"TIMESTAMP '2026-11-01' + to_microseconds({_OFFSET_US})",
        f"fromUnixTimestamp64Micro(toInt64({_START_US} + {_OFFSET_US}), 'UTC')",
    ),
    "event.id": ("md5(CAST(i AS VARCHAR))", "lower(hex(MD5(toString(i))))"),
    "event.kind": ("'SECURITY_EVENT'",) * 2,
    "event.provider": ("CASE WHEN i % 10 < 4 THEN 'Amazon GuardDuty' ELSE 'AWS Security Hub' END",) * 2,
    "event.type": (
        "CASE WHEN i % 10 < 5 THEN 'DETECTION_FINDING' WHEN i % 10 < 8 THEN 'COMPLIANCE_FINDING' "
        "ELSE 'VULNERABILITY_FINDING' END",
    )
    * 2,
    "finding.id": ("'f-' || CAST(i % 250000 AS VARCHAR)", "concat('f-', toString(i % 250000))"),
    "finding.type": (
        "CASE i % 7 WHEN 0 THEN 'Recon:EC2/PortProbeUnprotectedPort' "
        "WHEN 1 THEN 'UnauthorizedAccess:EC2/SSHBruteForce' "
        "WHEN 2 THEN 'Software and Configuration Checks/Vulnerabilities/CVE' ELSE "
        "'Software and Configuration Checks/Industry and Regulatory Standards' END",
    )
    * 2,
    "dt.security.risk.level": (
        "CASE WHEN i % 100 < 3 THEN 'CRITICAL' WHEN i % 100 < 15 THEN 'HIGH' "
        "WHEN i % 100 < 50 THEN 'MEDIUM' WHEN i % 100 < 90 THEN 'LOW' ELSE 'NONE' END",
    )
    * 2,
    "dt.security.risk.score": ("CAST(i % 100 AS DOUBLE) / 10", "toFloat64(i % 100) / 10"),
    "object.id": (
        "'arn:aws:ec2:eu-west-1:' || lpad(CAST(i % 200 AS VARCHAR), 12, '0') || ':instance/i-' "
        "|| CAST(i % 40000 AS VARCHAR)",
        "concat('arn:aws:ec2:eu-west-1:', leftPad(toString(i % 200), 12, '0'), ':instance/i-', "
        "toString(i % 40000))",
    ),
    "object.type": ("'AwsEc2Instance'",) * 2,
    "aws.account.id": (
        "lpad(CAST((i * 31) % 200 AS VARCHAR), 12, '0')",
        "leftPad(toString((i * 31) % 200), 12, '0')",
    ),
    "aws.region": ("CASE i % 3 WHEN 0 THEN 'eu-west-1' WHEN 1 THEN 'us-east-1' ELSE 'ap-southeast-2' END",)
    * 2,
    "vulnerability.id": (
        "CASE WHEN i % 10 >= 8 THEN 'CVE-2024-' || CAST(i % 5000 AS VARCHAR) END",
        "CASE WHEN i % 10 >= 8 THEN concat('CVE-2024-', toString(i % 5000)) END",
    ),
    "dt.system.bucket": ("'default_securityevents'",) * 2,
    "cloud.provider": ("'aws'",) * 2,
    "dt.raw_data": (
        '\'{"id":"f-\' || CAST(i % 250000 AS VARCHAR) || \'","note":"synthetic finding for the query '
        "benchmark\"}'",
        'concat(\'{"id":"f-\', toString(i % 250000), \'","note":"synthetic finding for the query '
        "benchmark\"}')",
    ),
}

_DIALECTS = ("duckdb", "clickhouse")
_ROWS = {"duckdb": "range({size}) AS r(i)", "clickhouse": "(SELECT number AS i FROM numbers({size}))"}


def select(dialect: str, size: int) -> str:
    """``INSERT INTO events`` + this: the ``size`` generated rows, in ``COLUMNS`` order, in ``dialect``."""
    column = _DIALECTS.index(dialect)
    names = ", ".join(f'"{name}"' for name in COLUMNS)
    values = ", ".join(expressions[column] for expressions in COLUMNS.values())
    return f"({names}) SELECT {values} FROM {_ROWS[dialect].format(size=int(size))}"
