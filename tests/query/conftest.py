"""An in-memory store for the query tests: the ``events`` table exactly as the schema contract has it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from threatlake.model.fields import FIELDS, STORAGE_TYPES
from threatlake.query import compile_query, to_result

NOW = datetime(2026, 1, 1, 12, 0, 0)
_PROVIDERS = ("Amazon GuardDuty", "Amazon GuardDuty", "AWS Security Hub")
_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", None)


def make_events() -> list[dict[str, Any]]:
    """30 hand-shaped events over the last 10 hours; every value is a plain function of the index."""
    events = []
    for i in range(30):
        provider = _PROVIDERS[i % 3]
        kind = "DETECTION_FINDING" if provider == "Amazon GuardDuty" else "VULNERABILITY_FINDING"
        event: dict[str, Any] = {
            "timestamp": NOW - timedelta(minutes=20 * i + 7),
            "event.id": f"e{i:02d}",
            "event.kind": "SECURITY_EVENT",
            "event.type": kind if i != 29 else None,
            "event.provider": provider,
            "dt.security.risk.level": _LEVELS[i % 5],
            "dt.security.risk.score": [9.5, 7.5, 5.0, 2.0, None][i % 5],
            "finding.count": i % 4 if i % 7 else None,
            "finding.title": f"Finding {i} about Port Probe" if i % 4 == 0 else f"finding {i}",
            "object.id": f"arn:aws:ec2:eu-west-1:111:instance/i-{i % 6}",
            "object.name": f"host-{i % 6}",
            "aws.account.id": ["111", "222", "333"][i % 3] if i % 10 else None,
            "dt.system.bucket": "default_securityevents" if i % 8 else "custom_bucket",
            "actor.ips": [f"10.0.0.{i}", f"198.51.100.{i}"] if i % 3 == 0 else ([] if i % 3 == 1 else None),
            "vulnerability.id": f"CVE-2025-{i % 4}" if kind == "VULNERABILITY_FINDING" else None,
            "dt.raw_data": json.dumps({"id": f"f{i}", "severity": i % 9, "resource": {"type": "Instance"}}),
            "extra": {"service.count": i * 2, "service.action": "PORT_PROBE" if i % 2 else "DNS_REQUEST"}
            if i % 5
            else {},
        }
        events.append(event)
    return events


EVENTS = make_events()


def create_store(events: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    columns = ", ".join(f'"{name}" {STORAGE_TYPES[f.type]}' for name, f in FIELDS.items())
    con.execute(f"CREATE TABLE events ({columns}, extra JSON)")
    con.execute("CREATE TABLE buckets (name VARCHAR, retention_days INTEGER, created TIMESTAMP)")
    con.execute(
        "INSERT INTO buckets VALUES ('default_securityevents', 35, '2025-01-01'), ('custom_bucket', 7, NULL)"
    )
    names = [*FIELDS, "extra"]
    placeholders = ", ".join("?" for _ in names)
    rows = [[e.get(k) if k != "extra" else json.dumps(e.get("extra", {})) for k in names] for e in events]
    con.executemany(f"INSERT INTO events VALUES ({placeholders})", rows)
    return con


@pytest.fixture(scope="session")
def store() -> Iterator[duckdb.DuckDBPyConnection]:
    con = create_store(EVENTS)
    yield con
    con.close()


Run = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def run(store: duckdb.DuckDBPyConnection) -> Run:
    """Compile, execute and shape a query over the last day; returns the records."""

    def go(text: str, **options: Any) -> list[dict[str, Any]]:
        options.setdefault("default_from", NOW - timedelta(days=1))
        compiled = compile_query(text, now=NOW, **options)
        table = store.sql(compiled.sql, params=list(compiled.params)).to_arrow_table()
        return list(to_result(compiled, table)["records"])

    return go
