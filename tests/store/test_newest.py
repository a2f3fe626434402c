"""The newest version per ``finding.id``, kept by the DuckDB store (``latest``'s ``NEWEST`` flag): the
lists' ``dedup {finding.id}, sort:{timestamp desc}`` reads it without a window, with exactly the rows of
the window over ``events`` (ties: the greater ``event.id``), whatever the folds, crashes, deletions and
migrations in between; and a fold that fails for any reason loses nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.store.conftest import make_event
from threatlake.errors import StoreError
from threatlake.query import compile_query
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.duckdb import store as store_module
from threatlake.store.duckdb.latest import rewrite
from threatlake.store.duckdb.statements import DIGEST, NEWEST

NOW = datetime(2025, 9, 1, tzinfo=UTC)
FROM = datetime(2025, 8, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
IDIOM = "fetch security.events | dedup {finding.id}, sort:{timestamp desc} | fields event.id"


def _corpus(seed: int = 0) -> list[dict[str, Any]]:
    """Several versions per finding, several objects and CVEs per finding, ties on the time, versions
    before the timeframe and one finding without an id."""
    events = []
    for number in range(80):
        finding = f"f-{(number + seed) % 23}" if number % 19 else None
        day = 1 + (number * 5 + seed) % 30  # days 1-30 of July and August: some before the timeframe
        month = 7 if number % 6 == 0 else 8
        minute = (number % 4) * 10  # many events share a time: ties
        fields: dict[str, Any] = {"finding.status": f"S{number}"}
        if number % 3:
            fields["object.id"] = f"i-{number % 4}"
        if number % 5 == 0:
            fields["vulnerability.id"] = f"CVE-{number % 2}"
        event = make_event("", f"2025-{month:02d}-{day:02d}T00:{minute:02d}:00Z", fields)
        event["finding.id"] = finding
        event["event.id"] = f"e-{seed}-{number:03d}"
        events.append(event)
    return events


def _window(store: DuckDBStore, start: datetime = FROM) -> set[str]:
    """The newest event per finding in the timeframe, ranked over ``events`` (a shape ``rewrite`` leaves)."""
    rows = store.execute(
        """SELECT "event.id" FROM (
              SELECT "event.id", row_number() OVER (
                PARTITION BY "finding.id" ORDER BY "timestamp" DESC, "event.id" DESC) AS r
              FROM events WHERE "timestamp" >= $1 AND "timestamp" < $2) WHERE r = 1""",
        [start.replace(tzinfo=None), NOW.replace(tzinfo=None)],
    ).to_pylist()
    return {row["event.id"] for row in rows}


def _idiom(store: DuckDBStore, start: datetime = FROM) -> set[str]:
    compiled = compile_query(IDIOM, now=NOW, default_from=start, default_to=NOW, max_records=10_000)
    sql = rewrite(compiled.sql, compiled.params, "duckdb", lambda: None)
    assert sql is not None and NEWEST in sql and "ROW_NUMBER" not in sql  # the flag, no window
    return {row["event.id"] for row in store.execute(compiled.sql, compiled.params).to_pylist()}


def _flags(store: DuckDBStore) -> dict[str, bool | None]:
    rows = store.execute(f'SELECT "event.id", {NEWEST} FROM latest').to_pylist()
    return {row["event.id"]: row[NEWEST] for row in rows}


def test_the_idiom_reads_the_flag_with_the_rows_of_the_window(tmp_path: Path) -> None:
    events = _corpus()
    with DuckDBStore(tmp_path / "db", lag=3600) as store:  # every read folds what is pending first
        for offset in range(0, len(events), 13):
            store.write(events[offset : offset + 13])
            assert _idiom(store) == _window(store)
        later = datetime(2025, 8, 20, tzinfo=UTC)  # a timeframe leaving out the older newest versions
        assert _idiom(store, later) == _window(store, later)
        assert _window(store, later) < _window(store)
        flagged = [event for event, flag in _flags(store).items() if flag]
        assert len(flagged) == len({event["finding.id"] for event in events})  # one per finding, None too


def test_an_older_version_arriving_late_keeps_the_flag_where_it_is(tmp_path: Path) -> None:
    new = make_event("f-1", "2025-08-10T00:00:00Z", {"object.id": "a"})
    tie = make_event("f-1", "2025-08-10T00:00:00Z", {"object.id": "b"})  # same time: the greater id wins
    old = make_event("f-1", "2025-08-02T00:00:00Z", {"object.id": "c"})
    winner = max(new["event.id"], tie["event.id"])
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        store.write([new])
        store.write([old])
        store.write([tie])
        assert {event for event, flag in _flags(store).items() if flag} == {winner}
        assert _idiom(store) == _window(store) == {winner}


def test_the_flag_is_rebuilt_with_latest_after_a_kill(tmp_path: Path) -> None:
    script = (
        "import os, sys; from threatlake.store.duckdb import DuckDBStore\n"
        "from tests.store.test_newest import _corpus\n"
        "s = DuckDBStore(sys.argv[1], lag=3600)\n"
        "s.write(_corpus(0)); s.close()\n"
        "s = DuckDBStore(sys.argv[1], lag=3600)\n"
        "s.write(_corpus(1))\n"
        "os._exit(0)  # no close: the second write was never folded\n"
    )
    path = tmp_path / "db"
    subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, check=True)
    with DuckDBStore(path, lag=3600) as reopened:
        assert reopened.latest_lag == 0
        assert _idiom(reopened) == _window(reopened)


def test_deleting_a_bucket_or_expiring_moves_the_flag_to_what_is_left(tmp_path: Path) -> None:
    kept = make_event("f-1", "2025-08-02T00:00:00Z", {"object.id": "a"})
    gone = make_event("f-1", "2025-08-05T00:00:00Z", {"object.id": "b", "dt.system.bucket": "short"})
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        store.create_bucket("short", 7, now=NOW)
        store.write([kept, gone])
        assert _flags(store) == {kept["event.id"]: False, gone["event.id"]: True}
        store.delete_bucket("short")
        assert _flags(store) == {kept["event.id"]: True}
        assert _idiom(store) == _window(store) == {kept["event.id"]}


def test_a_store_of_before_the_flag_migrates_on_open(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with DuckDBStore(path) as store:
        store.write(_corpus())
    with DuckDBStore(path, migrate=False) as old:  # the store as migration 4 left it
        old.execute(f"ALTER TABLE latest DROP COLUMN {NEWEST}")
        old.execute(f"ALTER TABLE latest DROP COLUMN {DIGEST}")
        old.execute("DELETE FROM threatlake_migrations WHERE version >= 5")
    with DuckDBStore(path) as migrated:
        assert set(_flags(migrated).values()) == {True, False}
        assert _idiom(migrated) == _window(migrated)
        versions = migrated.execute("SELECT max(version) AS v FROM threatlake_migrations").to_pylist()
        assert versions == [{"v": 6}]


def test_a_fold_failing_outside_duckdb_rolls_back_and_keeps_the_pending_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyarrow raising in a fold (``ArrowInvalid`` past 2 GiB of strings) once left the transaction open
    and the pending writes dropped: every later write failed until a restart."""
    events = _corpus()
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        store.write(events[:40])
        registered = store_module._registered

        @contextmanager
        def failing(conn: Any, name: str, table: pa.Table) -> Iterator[None]:
            if name == store_module._WINNERS:
                raise pa.ArrowInvalid("offset overflow while concatenating arrays")
            with registered(conn, name, table):
                yield

        monkeypatch.setattr(store_module, "_registered", failing)
        with pytest.raises(StoreError, match=r"folding latest .* failed: offset overflow"):
            store.execute("SELECT count(*) FROM latest")
        assert store.latest_lag > 0  # still pending
        monkeypatch.setattr(store_module, "_registered", registered)
        assert store.write(events[40:]).stored == 40  # no transaction left open
        assert _idiom(store) == _window(store)
        held = store.execute("SELECT count(*) AS n FROM latest").to_pylist()
        keys = {(e["finding.id"], e.get("object.id"), e.get("vulnerability.id")) for e in events}
        assert held == [{"n": len(keys)}]


def test_a_long_backlog_folds_in_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "FOLD_BYTES", 1)  # every pending write a run of its own
    events = _corpus() + _corpus(2)
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        for offset in range(0, len(events), 7):
            store.write(events[offset : offset + 7])
        assert _idiom(store) == _window(store)
        rows = store.execute(
            'SELECT "finding.id", "object.id", "vulnerability.id", "finding.status" FROM latest'
        ).to_pylist()
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in events:
        key = (event["finding.id"], event.get("object.id"), event.get("vulnerability.id"))
        held = newest.get(key)
        if held is None or (event["timestamp"], event["event.id"]) > (held["timestamp"], held["event.id"]):
            newest[key] = event
    assert {(r["finding.id"], r["object.id"], r["vulnerability.id"]): r["finding.status"] for r in rows} == {
        key: event["finding.status"] for key, event in newest.items()
    }


def test_a_column_named_latest_does_not_keep_the_idiom_off_the_flag(tmp_path: Path) -> None:
    """The grouped lists summarize ``latest = max(timestamp)``: the alias is no read of the table."""
    text = IDIOM.replace("| fields event.id", "| summarize n = count(), latest = max(timestamp)")
    compiled = compile_query(text, now=NOW, default_from=FROM, default_to=NOW)
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        store.write(_corpus())
        sql = store._for_latest(compiled.sql, compiled.params)
        assert NEWEST in sql and "ROW_NUMBER" not in sql
        (row,) = store.execute(compiled.sql, compiled.params).to_pylist()
        assert row["n"] == len(_window(store))
