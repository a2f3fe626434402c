"""``latest`` off the write: folded within the lag, never stale when read, rebuilt after a crash, and the
latest-state DQL idiom answered from it exactly as from ``events``."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.store.conftest import make_event
from threatlake.query import compile_query
from threatlake.store import Store
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.duckdb import statements as statements_module
from threatlake.store.duckdb import store as store_module
from threatlake.store.duckdb.latest import rewrite

NOW = datetime(2025, 9, 1, tzinfo=UTC)
FROM = datetime(2025, 8, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _version(finding: str, day: int, status: str, minute: int = 0, **fields: Any) -> dict[str, Any]:
    when = f"2025-08-{day:02d}T00:{minute:02d}:00Z"
    return make_event(finding, when, {"finding.status": status, **fields})


def _corpus() -> list[dict[str, Any]]:
    """Several versions per finding and object, no two events at the same time (ties have no answer)."""
    events = []
    for number in range(60):
        for version in range(1 + number % 4):
            day = 1 + (number * 7 + version * 3) % 28
            obj = {"object.id": f"i-{number % 3}"} if number % 5 else {}
            cve = {"vulnerability.id": f"CVE-{number % 2}"} if number % 7 == 0 else {}
            risk = {"dt.security.risk.level": ("LOW", "HIGH", "CRITICAL")[(number + version) % 3]}
            events.append(_version(f"f-{number % 25}", day, f"S{version}", number, **obj, **cve, **risk))
    return events


def _dql(store: Store, text: str, to: datetime = NOW) -> list[dict[str, Any]]:
    compiled = compile_query(text, now=to, default_from=FROM, default_to=to)
    return store.execute(compiled.sql, compiled.params).to_pylist()


def _raw_latest(store: Store, keys: str, to: datetime = NOW) -> list[dict[str, Any]]:
    """The same answer from ``events`` in a shape ``rewrite`` leaves alone (a numbered subquery)."""
    return store.execute(
        f"""SELECT "dt.security.risk.level", count(*) AS n FROM (
              SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY "timestamp" DESC) AS r FROM events
              WHERE "timestamp" >= $1 AND "timestamp" < $2) WHERE r = 1
            GROUP BY 1 ORDER BY 1""",
        [FROM.replace(tzinfo=None), to.replace(tzinfo=None)],
    ).to_pylist()


def test_latest_is_folded_within_the_lag_without_a_read(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "db", lag=0.05) as store:
        store.write([_version("f-1", 2, "ACTIVE")])
        assert store.latest_lag > 0
        deadline = time.monotonic() + 10
        while store.latest_lag and time.monotonic() < deadline:
            time.sleep(0.01)
        assert store.latest_lag == 0


def test_a_read_of_latest_sees_every_committed_write(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "db", lag=3600) as store:  # the folder never gets there first
        store.write([_version("f-1", 2, "ACTIVE")])
        store.write([_version("f-1", 3, "ARCHIVED"), _version("f-2", 1, "NEW")])
        assert store.latest_lag > 0
        rows = store.execute('SELECT "finding.id", "finding.status" FROM latest ORDER BY 1').to_pylist()
        assert rows == [
            {"finding.id": "f-1", "finding.status": "ARCHIVED"},
            {"finding.id": "f-2", "finding.status": "NEW"},
        ]
        assert store.latest_lag == 0


def test_latest_is_rebuilt_after_a_kill_between_write_and_fold(tmp_path: Path) -> None:
    script = (
        "import os, sys; from threatlake.store.duckdb import DuckDBStore\n"
        "from tests.store.conftest import make_event\n"
        "s = DuckDBStore(sys.argv[1], lag=3600)\n"
        "s.write([make_event('a', '2025-08-02T00:00:00Z'), make_event('b', '2025-08-03T00:00:00Z')])\n"
        "s.write([make_event('a', '2025-08-04T00:00:00Z', {'finding.status': 'NEW'})])\n"
        "os._exit(0)  # no close: latest was never folded\n"
    )
    path = tmp_path / "db"
    subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, check=True)
    with DuckDBStore(path, lag=3600) as reopened:
        assert reopened.latest_lag == 0
        rows = reopened.execute(
            'SELECT "finding.id", "finding.status", "timestamp" FROM latest ORDER BY 1'
        ).to_pylist()
    assert rows == [
        {"finding.id": "a", "finding.status": "NEW", "timestamp": datetime(2025, 8, 4)},
        {"finding.id": "b", "finding.status": None, "timestamp": datetime(2025, 8, 3)},
    ]


def test_writes_go_on_while_a_fold_runs_and_the_crash_flag_waits_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold runs on a connection of its own: a write is acknowledged while a fold is under way, and
    ``latest_state`` says folded only once no committed write is left out of ``latest``."""
    events = _corpus()
    inside, release = threading.Event(), threading.Event()
    registered = store_module._registered

    def slow(conn: Any, name: str, table: Any) -> Any:
        if name == store_module._PLAN:
            inside.set()
            assert release.wait(30)
        return registered(conn, name, table)

    def folded(store: DuckDBStore) -> bool:
        return bool(store.execute("SELECT folded FROM latest_state").column(0)[0].as_py())

    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        store.write(events[:50])
        assert not folded(store)
        monkeypatch.setattr(store_module, "_registered", slow)
        folding = threading.Thread(target=store._fold)
        folding.start()
        assert inside.wait(30)
        assert store.write(events[50:100]).stored == 50  # acknowledged while the fold waits
        count = store.execute("SELECT count(*) AS n FROM events").to_pylist()
        assert count == [{"n": 100}]  # reads of events do not wait either
        release.set()
        folding.join(30)
        assert not folding.is_alive()
        assert not folded(store)  # the second write is not in latest yet: a crash now rebuilds it
        monkeypatch.setattr(store_module, "_registered", registered)
        store.write(events[100:])
        store._fold()
        assert folded(store)
        text = "fetch security.events | dedup {finding.id, object.id}, sort:{timestamp desc} "
        summary = "| summarize n = count(), by:{dt.security.risk.level} | sort dt.security.risk.level asc"
        assert _dql(store, text + summary) == _raw_latest(store, '"finding.id", "object.id"')


def test_a_deleted_bucket_does_not_come_back_with_a_later_fold(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        store.create_bucket("gone", 7, now=NOW)
        store.write([make_event("x", fields={"dt.system.bucket": "gone"}), make_event("y")])
        assert store.delete_bucket("gone") == 1
        assert [
            row["finding.id"] for row in store.execute('SELECT "finding.id" FROM latest').to_pylist()
        ] == ["y"]


@pytest.mark.parametrize("keys", ["finding.id", "finding.id, object.id", "object.id, vulnerability.id"])
def test_the_latest_state_idiom_answers_as_the_raw_table(store: Store, keys: str) -> None:
    events = _corpus()
    for offset in range(0, len(events), 17):  # several writes, folded or not when the query comes
        store.write(events[offset : offset + 17])
    text = f"fetch security.events | dedup {{{keys}}}, sort:{{timestamp desc}} "
    summary = "| summarize n = count(), by:{dt.security.risk.level} | sort dt.security.risk.level asc"
    quoted = ", ".join(f'"{key.strip()}"' for key in keys.split(","))
    got = _dql(store, text + summary)
    assert got == _raw_latest(store, quoted)
    assert sum(row["n"] for row in got) == len(
        {tuple(e.get(k.strip()) for k in keys.split(",")) for e in events}
    )
    ids = {row["event.id"] for row in _dql(store, text)}
    newest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in events:
        key = tuple(event.get(part.strip()) for part in keys.split(","))
        if key not in newest or event["timestamp"] > newest[key]["timestamp"]:
            newest[key] = event
    assert ids == {event["event.id"] for event in newest.values()}


def test_a_timeframe_ending_before_the_newest_row_reads_the_raw_table(store: Store) -> None:
    store.write(_corpus())
    earlier = datetime(2025, 8, 15, tzinfo=UTC)  # many newest versions lie after it
    text = f"{DEDUP} | summarize n = count(), by:{{dt.security.risk.level}} | sort dt.security.risk.level asc"
    assert _dql(store, text, earlier) == _raw_latest(store, '"finding.id"', earlier)


def _compiled(text: str, to: datetime = NOW) -> tuple[str, tuple[Any, ...]]:
    compiled = compile_query(text, now=to, default_from=FROM, default_to=to)
    return compiled.sql, tuple(compiled.params)


DEDUP = "fetch security.events | dedup {finding.id}, sort:{timestamp desc}"


def test_rewrite_reads_latest_only_for_the_idiom() -> None:
    newest = datetime(2025, 8, 20)
    idiom = _compiled(
        "fetch security.events | dedup {finding.id, object.id}, sort:{timestamp desc} | limit 5"
    )
    sql = rewrite(*idiom, "duckdb", lambda: newest)
    assert sql is not None and 'FROM "latest"' in sql and "events" not in sql
    refused = {
        "filter first": DEDUP.replace("| dedup", '| filter aws.region == "x" | dedup'),
        "not a key": DEDUP.replace("finding.id", "aws.region"),
        "oldest first": DEDUP.replace("desc", "asc"),
        "no dedup": "fetch security.events | sort timestamp desc | limit 3",
    }
    for why, text in refused.items():
        assert rewrite(*_compiled(text), "duckdb", lambda: newest) is None, why
    ends_at_newest = _compiled(DEDUP, newest.replace(tzinfo=UTC))
    assert rewrite(*ends_at_newest, "duckdb", lambda: newest) is None
    assert rewrite(*ends_at_newest, "duckdb", lambda: None) is not None  # latest is empty


def test_duplicates_of_a_large_store_are_looked_up_in_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statements_module, "LOOKUP_IDS", 3)  # several lookup statements per batch
    monkeypatch.setattr("threatlake.store.duckdb.store.LOOKUP_IDS", 3)
    with DuckDBStore(tmp_path / "db") as store:
        stored = [make_event(f"f-{number}") for number in range(5000)]
        assert store.write(stored).stored == 5000
        batch = [*stored[10:17], *(make_event(f"new-{number}") for number in range(3))]
        assert len(batch) <= 5000 / 500  # small enough for the index lookups
        result = store.write(batch)
        assert (result.stored, result.duplicates) == (3, 7)
        assert store.execute("SELECT count(*) AS n FROM events").to_pylist() == [{"n": 5003}]
