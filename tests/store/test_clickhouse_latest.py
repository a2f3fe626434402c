"""ClickHouse ``latest``: the table fed by the materialized view holds what DuckDB's ``latest`` holds
(ties, missing times and key parts, rows not merged yet), the latest-state idiom reads it, deletes and
retention remove its rows, an older store is upgraded by migration 5, and the id lookup needs no FINAL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.store.engines import FreshStore, Pair, chdb_root, fresh_chdb, open_pair
from threatlake.query import compile_query
from threatlake.store import Store
from threatlake.store.clickhouse import ChdbClient, ClickHouseStore
from threatlake.store.clickhouse.rewrite import rewrite
from threatlake.store.clickhouse.schema import Target, plan
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.migrations import MIGRATIONS

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here

NOW = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
IDIOM = "fetch security.events | dedup {finding.id, object.id}, sort:{timestamp desc} | fields event.id"


def _event(event_id: str, finding: str | None, when: datetime | None, **fields: Any) -> dict[str, Any]:
    return {
        "event.id": event_id,
        "finding.id": finding,
        "object.id": "i-1",
        "timestamp": when.isoformat() if when else None,
        "dt.ingest.time": NOW.isoformat(),
        "finding.title": f"title of {event_id}",
        **fields,
    }


def _versions() -> list[list[dict[str, Any]]]:
    """Writes (each its own part, none merged): newer and older versions, a tie on time, no time, a
    missing finding id beside an empty one, a null value in the newest version."""
    t = NOW - timedelta(hours=1)
    return [
        [_event("a1", "a", t - timedelta(minutes=5)), _event("b2", "b", t), _event("n1", None, t)],
        [_event("a2", "a", t, **{"finding.title": None}), _event("b1", "b", t), _event("e1", "", t)],
        [_event("a0", "a", t - timedelta(minutes=9)), _event("c1", "c", None), _event("c0", "c", t)],
        [_event("d9", "d", None), _event("d1", "d", None)],
    ]


def _latest(store: Store) -> list[str]:
    rows = store.execute('SELECT "event.id", "finding.id", "finding.title" FROM latest').to_pylist()
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


@pytest.fixture
def pair(fresh_chdb: FreshStore) -> Pair:
    both = open_pair(fresh_chdb)
    chdb: Any = both.chdb
    chdb._client.command("SYSTEM STOP MERGES latest_rows")  # every version stays in its part
    for batch in _versions():
        both.write(batch)
    return both


def test_latest_holds_the_newest_row_per_key_as_on_duckdb(pair: Pair) -> None:
    expected = _latest(pair.duckdb)
    assert _latest(pair.chdb) == expected
    ids = {json.loads(row)["event.id"] for row in expected}
    assert ids == {"a2", "b2", "c0", "d9", "n1", "e1"}  # tie: the greater id; a time beats none
    assert json.loads(next(row for row in expected if '"a2"' in row))["finding.title"] is None
    chdb: Any = pair.chdb
    rows = chdb._read("SELECT count() AS n FROM latest_rows", None, final=False).column("n")[0].as_py()
    assert rows > len(ids)  # parts not merged (an insert folds its own block): the view's FINAL did it


def test_the_idiom_reads_latest_and_answers_as_duckdb(pair: Pair) -> None:
    duck, chdb = pair.answers(IDIOM, now=NOW + timedelta(hours=1), default_from=NOW - timedelta(days=1))
    assert sorted(map(str, chdb)) == sorted(map(str, duck)) and len(duck) == 5  # d: no time, outside
    client: Any = pair.chdb
    client._client.command("TRUNCATE TABLE latest_rows")  # behind the store's back: events keep them
    _, emptied = pair.answers(IDIOM, now=NOW + timedelta(hours=1), default_from=NOW - timedelta(days=1))
    assert emptied == []


def test_a_timeframe_ending_before_the_newest_event_reads_events() -> None:
    compiled = compile_query(IDIOM, dialect="clickhouse", now=NOW, default_from=NOW - timedelta(days=1))
    assert "events" in compiled.sql
    found = rewrite(compiled.sql, compiled.params, lambda: NOW - timedelta(hours=1))
    assert found is not None and found.only_latest and '"latest"' in found.sql and "events" not in found.sql
    assert rewrite(compiled.sql, compiled.params, lambda: NOW + timedelta(hours=1)) is None
    other = compile_query("fetch security.events | fields event.id", dialect="clickhouse", now=NOW)
    assert rewrite(other.sql, other.params, lambda: None) is None
    newer = compiled.sql.replace('SELECT "event.id"', 'SELECT "extra_string"')  # one latest does not show
    assert newer != compiled.sql
    assert rewrite(newer, compiled.params, lambda: None) is None


@pytest.mark.parametrize("backend", ["duckdb", "chdb"])
def test_deleting_a_bucket_and_sweeping_retention_remove_latest_rows(
    fresh_chdb: FreshStore, backend: str
) -> None:
    store = fresh_chdb() if backend == "chdb" else DuckDBStore(":memory:")
    store.create_bucket("short", 5, now=datetime.now(UTC))
    old = (NOW - timedelta(days=3)).isoformat()
    store.write([_event("s1", "s", NOW, **{"dt.system.bucket": "short", "dt.ingest.time": old})])
    store.write([_event("s0", "s", NOW - timedelta(days=4), **{"dt.system.bucket": "short"})])
    store.write([_event("k1", "k", NOW), _event("x1", "x", NOW, **{"dt.system.bucket": "short"})])
    # three days on, s1 (arrived 3 days ago) is past 5 days; s0, its key's older row, arrived now
    assert store.sweep_retention(datetime.now(UTC) + timedelta(days=3)) == 1
    assert {json.loads(row)["event.id"] for row in _latest(store)} == {"k1", "x1"}  # s's key is gone
    assert store.delete_bucket("short") == 2  # s0 and x1
    assert {json.loads(row)["event.id"] for row in _latest(store)} == {"k1"}


def test_migration_5_replaces_the_view_and_backfills(fresh_chdb: FreshStore, chdb_root: Path) -> None:
    store: Any = fresh_chdb()
    for batch in _versions():
        store.write(batch)
    expected = _latest(store)
    client = store._client
    for name in ("latest", "latest_feed", "latest_rows"):
        client.command(f"DROP TABLE IF EXISTS {name} SYNC")
    (old_view,) = plan(Target(store.database))[1].statements  # migration 2: the view over events
    client.command(old_view)
    client.command(f"DELETE FROM {MIGRATIONS} WHERE version = 5")
    stale = ClickHouseStore(ChdbClient(chdb_root, store.database), store.database, migrate=False)
    window = {"now": NOW + timedelta(hours=1), "default_from": NOW - timedelta(days=1)}
    compiled = compile_query(IDIOM, dialect="clickhouse", **window)
    assert stale.execute(compiled.sql, compiled.params).num_rows == 5  # not migrated: the idiom reads events
    stale.close()
    assert [migration.version for migration in store.migrate().applied] == [5]
    assert _latest(store) == expected
    store.write([_event("a9", "a", NOW)])  # the feed runs from now on
    assert "a9" in {json.loads(row)["event.id"] for row in _latest(store)}


def test_an_id_stored_twice_before_a_merge_is_one_duplicate(fresh_chdb: FreshStore) -> None:
    store: Any = fresh_chdb()
    event = _event("twice", "t", NOW)
    store.write([event])
    client = store._client
    client.command("SYSTEM STOP MERGES events")
    try:  # a second part holding the same row (as two writers racing would leave), not merged
        client.command("INSERT INTO events SELECT * FROM events SETTINGS insert_deduplicate = 0")
        copies = store._read("SELECT count() AS n FROM events", None, final=False).column("n")[0].as_py()
        assert copies == 2
        seen: list[dict[str, Any]] = []
        query = client.query
        client.query = lambda sql, params, settings: (
            seen.append(dict(settings)) or query(sql, params, settings)
        )
        result = store.write([event, _event("new", "t", NOW)])
        assert (result.stored, result.duplicates, result.new_ids) == (1, 1, frozenset({"new"}))
        assert seen[0]["final"] == 0  # the first read of a write, the id lookup: no FINAL
    finally:
        client.command("SYSTEM START MERGES events")
