from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from tests.store.conftest import make_event
from threatlake.errors import StoreError
from threatlake.model import DEFAULT_BUCKET
from threatlake.model.fields import FIELDS, FieldType
from threatlake.store import Store, WriteResult, open_store
from threatlake.store.duckdb import FILE_NAME, DuckDBStore
from threatlake.store.duckdb.statements import DIGEST, NEWEST
from threatlake.store.protocol import TriageRow

SAMPLE_VALUES: dict[FieldType, Any] = {
    FieldType.STRING: "value",
    FieldType.LONG: 2**40 + 7,
    FieldType.DOUBLE: 8.25,
    FieldType.BOOLEAN: True,
    FieldType.TIMESTAMP: "2025-08-22T01:40:10.006000000Z",
    FieldType.STRING_ARRAY: ["a", "b"],
}
SAMPLE_STORED = {**SAMPLE_VALUES, FieldType.TIMESTAMP: datetime(2025, 8, 22, 1, 40, 10, 6000)}


def _rows(store: Store, table: str = "events") -> list[dict[str, Any]]:
    return store.execute(f'SELECT * FROM {table} ORDER BY "event.id"').to_pylist()


def test_is_a_store_with_the_duckdb_dialect(store: Store) -> None:
    assert isinstance(store, Store)
    assert store.dialect == "duckdb"


def test_every_field_type_round_trips(store: Store) -> None:
    event = {name: SAMPLE_VALUES[field.type] for name, field in FIELDS.items()}
    event["event.id"] = "0" * 32
    assert store.write([event]) == WriteResult(stored=1, duplicates=0)
    (row,) = _rows(store)
    expected = {name: SAMPLE_STORED[field.type] for name, field in FIELDS.items()}
    assert row == {**expected, "event.id": "0" * 32, "extra": None}


def test_extra_fields_round_trip_as_one_json_object(store: Store) -> None:
    event = make_event(fields={"aws.organization.id": "o-1", "my.list": [1, "two"], "my.obj": {"k": None}})
    store.write([event])
    (row,) = _rows(store)
    assert orjson.loads(row["extra"]) == {
        "aws.organization.id": "o-1",
        "my.list": [1, "two"],
        "my.obj": {"k": None},
    }
    value = store.execute("""SELECT json_extract_string(extra, '$."aws.organization.id"') AS v FROM events""")
    assert value.to_pylist() == [{"v": "o-1"}]


def test_same_events_twice_store_nothing_new(store: Store) -> None:
    events = [make_event(f"f-{i}") for i in range(5)]
    assert store.write(events) == WriteResult(stored=5, duplicates=0)
    assert store.write([dict(event) for event in events]) == WriteResult(stored=0, duplicates=5)
    assert store.write([*events[3:], make_event("f-9")]) == WriteResult(stored=1, duplicates=2)
    assert len(_rows(store)) == 6


def test_duplicates_inside_one_batch(store: Store) -> None:
    event = make_event()
    assert store.write([event, dict(event), make_event("f-2"), dict(event)]) == WriteResult(2, 2)
    assert store.write([]) == WriteResult(0, 0)
    assert len(_rows(store)) == 2


def test_event_without_id_gets_the_model_id(store: Store) -> None:
    event = make_event()
    expected = event.pop("event.id")
    store.write([event])
    assert [row["event.id"] for row in _rows(store)] == [expected]


def _latest(store: Store) -> dict[tuple[Any, ...], str]:
    rows = store.execute(
        'SELECT "finding.id", "object.id", "vulnerability.id", "component.name", "finding.status" FROM latest'
    ).to_pylist()
    return {tuple(row.values())[:4]: row["finding.status"] for row in rows}


def _version(when: str, status: str, **fields: Any) -> dict[str, Any]:
    return make_event("f-1", f"2025-08-{when}T00:00:00Z", {"finding.status": status, **fields})


def test_latest_holds_the_newest_version(store: Store) -> None:
    store.write([_version("02", "ACTIVE")])
    store.write([_version("03", "ARCHIVED")])
    store.write([_version("01", "OLD")])  # an older version arriving late does not replace the newer one
    assert _latest(store) == {("f-1", None, None, None): "ARCHIVED"}
    assert len(_rows(store)) == 3
    assert len(_rows(store, "latest")) == 1


def test_latest_within_one_batch_and_per_key(store: Store) -> None:
    cve = {"object.id": "img", "vulnerability.id": "CVE-1"}
    store.write(
        [
            _version("05", "NEW", **cve, **{"component.name": "openssl"}),
            _version("02", "OLD", **cve, **{"component.name": "openssl"}),
            _version("01", "NEW", **cve, **{"component.name": "zlib"}),
            _version("09", "RESOLVED", **cve, **{"component.name": "openssl"}),
            _version("03", "ACTIVE", **{"object.id": "i-1"}),
        ]
    )
    store.write([_version("04", "NOTIFIED", **cve, **{"component.name": "zlib"})])
    assert _latest(store) == {
        ("f-1", "img", "CVE-1", "openssl"): "RESOLVED",
        ("f-1", "img", "CVE-1", "zlib"): "NOTIFIED",
        ("f-1", "i-1", None, None): "ACTIVE",
    }


def test_latest_rows_carry_every_column(store: Store) -> None:
    event = _version("02", "ACTIVE", **{"actor.ips": ["1.1.1.1"], "my.extra": 1})
    store.write([event])
    latest = _rows(store, "latest")
    assert [row.pop(NEWEST) for row in latest] == [True]  # and the flag: the newest row of its finding
    (digest,) = store.execute("SELECT hash('f-1') AS d").column("d").to_pylist()
    assert [row.pop(DIGEST) for row in latest] == [digest]  # and the finding's digest
    assert latest == _rows(store)


def test_default_bucket_exists(store: Store) -> None:
    (bucket,) = store.list_buckets()
    assert (bucket.name, bucket.retention_days) == (DEFAULT_BUCKET, 365)


def test_buckets_create_list_delete(store: Store) -> None:
    now = datetime(2025, 9, 1, tzinfo=UTC)
    created = store.create_bucket("short_lived", 7, now=now)
    assert (created.name, created.retention_days, created.created) == ("short_lived", 7, now)
    assert [b.name for b in store.list_buckets()] == [DEFAULT_BUCKET, "short_lived"]
    with pytest.raises(StoreError, match="already exists"):
        store.create_bucket("short_lived", 3, now=now)
    for days in (0, 36_501, 8_378_506_969):  # the last one reached the 32-bit column before the check
        with pytest.raises(StoreError, match="retention of 1 to 36500 days"):
            store.create_bucket("bad", days, now=now)
    store.write([make_event("x", fields={"dt.system.bucket": "short_lived"}), make_event("y")])
    assert store.delete_bucket("short_lived") == 1
    assert [row["finding.id"] for row in _rows(store)] == ["y"]
    assert [b.name for b in store.list_buckets()] == [DEFAULT_BUCKET]
    with pytest.raises(StoreError, match="does not exist"):
        store.delete_bucket("short_lived")
    with pytest.raises(StoreError, match="default bucket"):
        store.delete_bucket(DEFAULT_BUCKET)


def test_retention_sweep_deletes_only_expired_events_of_each_bucket(store: Store) -> None:
    now = datetime(2025, 9, 30, 12, tzinfo=UTC)
    store.create_bucket("week", 7, now=now)

    def event(finding: str, day: str, bucket: str) -> dict[str, Any]:
        return make_event(finding, f"2025-09-{day}T12:00:00Z", {"dt.system.bucket": bucket})

    store.write(
        [
            event("old-week", "20", "week"),  # 10 days old: expired in a 7-day bucket
            event("new-week", "25", "week"),
            event("old-default", "20", DEFAULT_BUCKET),  # kept: the default bucket keeps 365 days
            event("unrouted", "20", "nowhere"),  # a bucket that is not configured is never swept
        ]
    )
    assert store.sweep_retention(now) == 1
    assert sorted(row["finding.id"] for row in _rows(store)) == ["new-week", "old-default", "unrouted"]
    assert sorted(row["finding.id"] for row in _rows(store, "latest")) == [
        "new-week",
        "old-default",
        "unrouted",
    ]
    assert store.sweep_retention(now) == 0
    assert store.sweep_retention(datetime(2026, 9, 25, tzinfo=UTC)) == 2


def test_retention_counts_from_arrival_not_from_the_finding_time(store: Store) -> None:
    """A finding from years ago, ingested (or backfilled) recently, is kept its bucket's retention."""
    arrived = {"dt.ingest.time": "2025-09-29T00:00:00Z"}
    store.write([make_event("old-but-new-here", "2019-01-01T00:00:00Z", arrived)])
    assert store.sweep_retention(datetime(2025, 9, 30, tzinfo=UTC)) == 0
    assert store.sweep_retention(datetime(2026, 9, 30, tzinfo=UTC)) == 1


def test_execute_binds_parameters(store: Store) -> None:
    store.write([make_event("a"), make_event("b")])
    by_position = store.execute('SELECT "finding.id" AS f FROM events WHERE "finding.id" = ?', ["b"])
    by_number = store.execute('SELECT "finding.id" AS f FROM events WHERE "finding.id" = $1', ("a",))
    assert isinstance(by_position, pa.Table)
    assert by_position.to_pylist() == [{"f": "b"}]
    assert by_number.to_pylist() == [{"f": "a"}]
    with pytest.raises(StoreError, match="query failed"):
        store.execute("SELECT nope FROM events")


def test_data_survives_reopening(tmp_path: Path) -> None:
    with DuckDBStore.in_dir(tmp_path) as first:
        first.write([make_event("a")])
    assert (tmp_path / FILE_NAME).is_file()
    reopened = open_store(f"duckdb://{tmp_path}")
    try:
        assert [row["finding.id"] for row in _rows(reopened)] == ["a"]
        assert [b.name for b in reopened.list_buckets()] == [DEFAULT_BUCKET]
    finally:
        reopened.close()


def test_data_written_by_another_process_is_visible(tmp_path: Path) -> None:
    script = (
        "import sys; from threatlake.store import open_store; from tests.store.conftest import make_event\n"
        "s = open_store(sys.argv[1]); print(s.write([make_event('p1'), make_event('p2')]).stored)\n"
        "import os; os._exit(0)  # no close(): the commit alone must make the write durable\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, cwd=root, check=True
    )
    assert done.stdout.strip() == "2"
    with DuckDBStore.in_dir(tmp_path) as reopened:
        assert sorted(row["finding.id"] for row in _rows(reopened)) == ["p1", "p2"]


def test_closed_store_and_unknown_backend(tmp_path: Path) -> None:
    opened = open_store(tmp_path)
    opened.close()
    opened.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        opened.write([make_event()])
    with pytest.raises(StoreError, match="unknown backend 'nosuch'"):
        open_store("nosuch://host/db")


def test_a_second_writing_process_gets_a_retryable_error(tmp_path: Path) -> None:
    script = (
        "import sys; from threatlake.store import open_store; from threatlake.errors import StoreError\n"
        "try:\n    open_store(sys.argv[1])\nexcept StoreError as error:\n    print(error.retryable)\n"
    )
    with DuckDBStore.in_dir(tmp_path):
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
        )
    assert done.stdout.strip() == "True"


def test_a_query_past_its_timeout_is_interrupted_in_the_engine(store: Store) -> None:
    runaway = "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE (a.range * b.range) % 7 = 3"
    started = time.perf_counter()
    with pytest.raises(StoreError, match=r"interrupted after the timeout of 0\.3 seconds"):
        store.execute(runaway, timeout=0.3)
    assert time.perf_counter() - started < 10  # the engine stopped; 10^12 rows would take hours
    assert store.execute("SELECT 1 AS one", timeout=5).to_pylist() == [{"one": 1}]


def test_a_write_reports_the_ids_it_stored() -> None:
    store = DuckDBStore(":memory:")
    try:
        first = store.write([{"event.id": "a"}, {"event.id": "b"}, {"event.id": "a"}])
        assert (first.stored, first.duplicates, first.new_ids) == (2, 1, frozenset({"a", "b"}))
        second = store.write([{"event.id": "b"}, {"event.id": "c"}])
        assert (second.stored, second.duplicates, second.new_ids) == (1, 1, frozenset({"c"}))
        assert store.write([{"event.id": "c"}]).new_ids == frozenset()
    finally:
        store.close()


def test_the_triage_mirror_upserts_and_replaces() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with DuckDBStore(":memory:") as store:
        store.put_triage([TriageRow("a", "NEW"), TriageRow("b", "RESOLVED", "eve", None, moment, "bob")])
        store.put_triage([TriageRow("a", "IN_PROGRESS", "al"), TriageRow("a", "SUPPRESSED")])  # last wins
        rows = store.execute('select * from triage order by "finding.id"').to_pylist()
        assert [(r["finding.id"], r["triage.status"], r["triage.assignee"]) for r in rows] == [
            ("a", "SUPPRESSED", None),
            ("b", "RESOLVED", "eve"),
        ]
        assert rows[1]["triage.modified"] == datetime(2026, 1, 2, 3, 4, 5)  # naive UTC, as every time
        store.put_triage([TriageRow("c", "FALSE_POSITIVE")], replace=True)
        assert store.execute('select "finding.id" from triage').column(0).to_pylist() == ["c"]


#: Minutes of engine work on any machine (the engine stops it long before).
_ENDLESS = "SELECT count(*) AS n FROM range(100000000000) a WHERE a.range % 7 = 3"


def test_an_interrupt_stops_a_running_query_in_the_engine(tmp_path: Path) -> None:
    import threading

    from threatlake.errors import QueryTimeoutError
    from threatlake.store import Interrupt

    store = open_store(tmp_path / "s")
    interrupt = Interrupt()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            store.execute(_ENDLESS, timeout=600, interrupt=interrupt)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)  # running by now (if not, the stop before the bind stops it at once)
    interrupt.stop()
    thread.join(60)  # the engine's own timeout is 600 s: returning now means the stop reached it
    try:
        assert not thread.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], QueryTimeoutError)
        assert "cancelled" in str(outcome[0])
        already = Interrupt()
        already.stop()
        with pytest.raises(QueryTimeoutError, match="cancelled"):
            store.execute(_ENDLESS, timeout=600, interrupt=already)  # stopped before it started
        assert store.execute("SELECT 1 AS one", interrupt=Interrupt()).to_pylist() == [{"one": 1}]
    finally:
        store.close()
