"""The store's semantics, on every backend: each test runs on DuckDB and on chDB and must hold on both.

SQL here is what both engines read alike (double-quoted names, no placeholders of one engine). The tests
only DuckDB can run (files, processes, locks) stay in ``test_duckdb.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.store.conftest import make_event
from tests.store.engines import FreshStore, chdb_root, fresh_chdb
from threatlake.errors import StoreError
from threatlake.model import DEFAULT_BUCKET
from threatlake.model.fields import FIELDS, FieldType
from threatlake.store import Store, WriteResult
from threatlake.store.duckdb import DuckDBStore

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here

NOW = datetime.now(UTC).replace(microsecond=0)
ARRIVED = (NOW - timedelta(days=1)).isoformat()  # every event arrived yesterday: within any retention
SAMPLE_VALUES: dict[FieldType, Any] = {
    FieldType.STRING: "value",
    FieldType.LONG: 2**40 + 7,
    FieldType.DOUBLE: 8.25,
    FieldType.BOOLEAN: True,
    FieldType.TIMESTAMP: "2025-08-22T01:40:10.006000000Z",
    FieldType.STRING_ARRAY: ["a", "b"],
}
SAMPLE_STORED = {**SAMPLE_VALUES, FieldType.TIMESTAMP: datetime(2025, 8, 22, 1, 40, 10, 6000)}
COLUMNS = ", ".join(f'"{name}"' for name in FIELDS)


@pytest.fixture(params=["duckdb", "chdb"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "duckdb":
        opened: Store = DuckDBStore(":memory:", now=NOW)
    else:
        fresh: FreshStore = request.getfixturevalue("fresh_chdb")
        opened = fresh(now=NOW)
    yield opened
    opened.close()


def event(finding: str = "f-1", when: str = "2025-08-22T01:40:10Z", **fields: Any) -> dict[str, Any]:
    return make_event(finding, when, {"dt.ingest.time": ARRIVED, **fields})


def rows(store: Store, table: str = "events", columns: str = COLUMNS) -> list[dict[str, Any]]:
    return store.execute(f'SELECT {columns} FROM {table} ORDER BY "event.id"').to_pylist()


def test_names_its_dialect(store: Store) -> None:
    assert isinstance(store, Store)
    assert store.dialect in ("duckdb", "clickhouse")


def test_every_field_type_round_trips(store: Store) -> None:
    stored = {name: SAMPLE_VALUES[field.type] for name, field in FIELDS.items()}
    stored |= {"event.id": "0" * 32, "dt.ingest.time": ARRIVED}
    assert store.write([stored]) == WriteResult(stored=1, duplicates=0)
    (row,) = rows(store)
    expected = {name: SAMPLE_STORED[field.type] for name, field in FIELDS.items()}
    arrived = datetime.fromisoformat(ARRIVED).replace(tzinfo=None)
    assert row == {**expected, "event.id": "0" * 32, "dt.ingest.time": arrived}


def test_extra_fields_are_one_json_object(store: Store) -> None:
    store.write([event(**{"aws.organization.id": "o-1", "my.list": [1, "two"]})])
    (row,) = rows(store, columns="extra")
    assert orjson.loads(row["extra"]) == {"aws.organization.id": "o-1", "my.list": [1, "two"]}


def test_duplicates_are_counted_and_not_stored_again(store: Store) -> None:
    events = [event(f"f-{i}") for i in range(5)]
    assert store.write(events) == WriteResult(stored=5, duplicates=0)
    assert store.write([dict(e) for e in events]) == WriteResult(stored=0, duplicates=5)
    assert store.write([*events[3:], event("f-9"), dict(events[0])]) == WriteResult(stored=1, duplicates=3)
    result = store.write([event("f-10"), event("f-10")])
    assert (result, result.new_ids) == (WriteResult(1, 1), {event("f-10")["event.id"]})
    assert len(rows(store)) == 7


def _latest(store: Store) -> dict[tuple[Any, ...], str]:
    found = rows(
        store, "latest", '"finding.id", "object.id", "vulnerability.id", "component.name", "finding.status"'
    )
    return {tuple(row.values())[:4]: row["finding.status"] for row in found}


def _version(day: str, status: str, **fields: Any) -> dict[str, Any]:
    return event("f-1", f"2025-08-{day}T00:00:00Z", **{"finding.status": status, **fields})


def test_latest_holds_the_newest_version_per_finding_key(store: Store) -> None:
    cve = {"object.id": "img", "vulnerability.id": "CVE-1"}
    store.write([_version("02", "ACTIVE"), _version("05", "NEW", **cve, **{"component.name": "ssl"})])
    store.write([_version("03", "ARCHIVED"), _version("01", "OLD")])  # an older version arriving late
    store.write([_version("09", "RESOLVED", **cve, **{"component.name": "ssl"})])
    assert _latest(store) == {
        ("f-1", None, None, None): "ARCHIVED",
        ("f-1", "img", "CVE-1", "ssl"): "RESOLVED",
    }
    assert len(rows(store)) == 5


def test_buckets_create_list_delete(store: Store) -> None:
    created = store.create_bucket("short_lived", 7, now=NOW)
    assert (created.name, created.retention_days, created.created) == ("short_lived", 7, NOW)
    assert [(b.name, b.retention_days) for b in store.list_buckets()] == [
        (DEFAULT_BUCKET, 365),
        ("short_lived", 7),
    ]
    with pytest.raises(StoreError, match="already exists"):
        store.create_bucket("short_lived", 3, now=NOW)
    with pytest.raises(StoreError, match="retention of 1 to 36500 days"):
        store.create_bucket("bad", 0, now=NOW)
    store.write([event("x", **{"dt.system.bucket": "short_lived"}), event("y")])
    assert store.delete_bucket("short_lived") == 1
    assert [row["finding.id"] for row in rows(store, columns='"finding.id"')] == ["y"]
    with pytest.raises(StoreError, match="does not exist"):
        store.delete_bucket("short_lived")
    with pytest.raises(StoreError, match="default bucket"):
        store.delete_bucket(DEFAULT_BUCKET)


def test_retention_sweep_counts_from_arrival(store: Store) -> None:
    store.create_bucket("week", 7, now=NOW)
    store.write(
        [
            event("week", **{"dt.system.bucket": "week"}),
            event("default", "2019-01-01T00:00:00Z"),  # an old finding arrived yesterday: kept a year
            event("unrouted", **{"dt.system.bucket": "nowhere"}),  # a bucket no one configured: kept
        ]
    )
    assert store.sweep_retention(NOW) == 0
    assert store.sweep_retention(NOW + timedelta(days=7)) == 1
    kept = rows(store, columns='"finding.id"')
    assert sorted(row["finding.id"] for row in kept) == ["default", "unrouted"]
    assert sorted(row["finding.id"] for row in rows(store, "latest", '"finding.id"')) == [
        "default",
        "unrouted",
    ]
    assert store.sweep_retention(NOW + timedelta(days=366)) == 1  # the unrouted one stays


def test_a_bad_statement_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="query failed"):
        store.execute("SELECT nope FROM events")


def test_a_closed_store_refuses_work(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_buckets()


def test_the_triage_mirror_is_read_by_dql_and_rewritten_per_finding(store: Store) -> None:
    from threatlake.query import compile_query, to_result
    from threatlake.store.protocol import TriageRow

    modified = NOW - timedelta(hours=1)
    store.put_triage(
        [TriageRow("f-1", "IN_PROGRESS", "ana", None, modified, "ana"), TriageRow("f-2", "RESOLVED")]
    )
    store.put_triage([TriageRow("f-1", "RESOLVED", None, None, NOW, "bo")])  # f-1 again: replaced, f-2 kept

    def triaged() -> list[dict[str, Any]]:
        query = compile_query(
            "fetch security.triage | fields finding.id, triage.status, triage.modified_by | sort finding.id",
            dialect=store.dialect,
            now=NOW,
        )
        return to_result(query, store.execute(query.sql, query.params))["records"]

    assert triaged() == [
        {"finding.id": "f-1", "triage.status": "RESOLVED", "triage.modified_by": "bo"},
        {"finding.id": "f-2", "triage.status": "RESOLVED", "triage.modified_by": None},
    ]
    store.put_triage([TriageRow("f-3", "NEW")], replace=True)
    assert [record["finding.id"] for record in triaged()] == ["f-3"]
