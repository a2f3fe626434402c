"""The fold (``store/duckdb/fold.py``): working on the rows of the findings it touches alone, it leaves
``latest`` exactly as a recomputation from ``events`` would (one newest row per finding key, ties to the
greater id, older never replacing newer) and the ``NEWEST`` flag exactly as a window over ``latest``;
whatever the order and size of the writes, a hash collision, a store of before the digest, or digests a
different engine version made."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.store.conftest import make_event
from threatlake.store.duckdb import DuckDBStore
from threatlake.store.duckdb.statements import DIGEST, NEWEST
from threatlake.store.schema import LATEST_KEY

_KEY = ", ".join(f'"{name}"' for name in LATEST_KEY)


def _corpus(seed: int, count: int = 120) -> list[dict[str, Any]]:
    """Versions of a few findings, several key parts each (some missing), many ties on the time, a
    finding without an id, a version without a time, in a shuffled order (older versions arrive late)."""
    chance = random.Random(seed)
    events = []
    for number in range(count):
        fields: dict[str, Any] = {"finding.status": f"S{number}"}
        if chance.random() < 0.6:
            fields["object.id"] = f"i-{chance.randrange(3)}"
        if chance.random() < 0.3:
            fields["vulnerability.id"] = f"CVE-{chance.randrange(2)}"
            fields["component.name"] = chance.choice(["openssl", "zlib", None])
        when = f"2025-08-{1 + chance.randrange(5):02d}T00:{chance.randrange(3) * 10:02d}:00Z"
        event = make_event("", when, fields)
        event["finding.id"] = f"f-{chance.randrange(9)}" if chance.random() < 0.95 else None
        if number == 7:
            event["timestamp"] = None
        event["event.id"] = f"e-{seed}-{chance.randrange(10**6):06d}-{number}"
        events.append(event)
    return events


def _expected_latest(store: DuckDBStore) -> set[str]:
    """The newest row per finding key, recomputed from ``events``."""
    rows = store.execute(
        f"""SELECT "event.id" FROM events QUALIFY row_number() OVER (PARTITION BY {_KEY}
            ORDER BY coalesce("timestamp", '-infinity'::TIMESTAMP) DESC, "event.id" DESC) = 1"""
    )
    return set(rows.column("event.id").to_pylist())


def _expected_flags(store: DuckDBStore) -> dict[str, bool]:
    rows = store.execute(
        """SELECT "event.id", row_number() OVER (PARTITION BY "finding.id"
            ORDER BY "timestamp" DESC, "event.id" DESC) = 1 AS first FROM latest"""
    ).to_pylist()
    return {row["event.id"]: row["first"] for row in rows}


def _state(store: DuckDBStore) -> tuple[set[str], dict[str, bool], list[Any]]:
    rows = store.execute(f'SELECT "event.id", {NEWEST}, {DIGEST}, hash("finding.id") AS h FROM latest')
    table = rows.to_pylist()
    wrong = [row["event.id"] for row in table if row[DIGEST] != row["h"]]
    return {row["event.id"] for row in table}, {row["event.id"]: row[NEWEST] for row in table}, wrong


def _check(store: DuckDBStore) -> None:
    held, flags, wrong_digests = _state(store)
    assert held == _expected_latest(store)
    assert flags == _expected_flags(store)
    assert wrong_digests == []


@pytest.mark.parametrize("seed", range(6))
def test_folds_of_any_writes_leave_latest_as_a_recomputation(tmp_path: Path, seed: int) -> None:
    events = _corpus(seed)
    chance = random.Random(seed)
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        offset = 0
        while offset < len(events):
            size = chance.choice([1, 3, 10, 40])
            store.write(events[offset : offset + size])
            offset += size
            if chance.random() < 0.5:  # several writes in one fold, or a fold per write
                store._fold()
                _check(store)
        store._fold()
        _check(store)


def test_a_hash_collision_only_adds_candidates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every row of ``latest`` a candidate (as if every finding hashed alike): the same result."""
    events = _corpus(11)
    with DuckDBStore(tmp_path / "db", lag=3600) as store:
        store.write(events[:60])
        store._fold()
        everything = store._folding.candidates("x").replace(
            'WHERE "l"."finding_digest" IN (SELECT HASH("w"."finding.id") FROM "x" AS "w")', ""
        )
        assert "WHERE" not in everything
        monkeypatch.setattr(store._folding, "candidates", lambda winners: everything)
        for offset in range(60, len(events), 15):
            store.write(events[offset : offset + 15])
            store._fold()
            _check(store)


def test_digests_of_another_engine_version_are_recomputed_on_open(tmp_path: Path) -> None:
    events = _corpus(3)
    path = tmp_path / "db"
    with DuckDBStore(path, lag=3600) as store:
        store.write(events[:70])
    with DuckDBStore(path, migrate=False) as old:  # as if the engine's hash had changed since
        old.execute(f"UPDATE latest SET {DIGEST} = {DIGEST} + 1")
        assert _state(old)[2]
    with DuckDBStore(path, lag=3600) as reopened:
        assert _state(reopened)[2] == []
        store = reopened
        store.write(events[70:])
        store._fold()
        _check(store)


def test_a_store_of_before_the_digest_migrates_on_open(tmp_path: Path) -> None:
    events = _corpus(5)
    path = tmp_path / "db"
    with DuckDBStore(path, lag=3600) as store:
        store.write(events[:70])
    with DuckDBStore(path, migrate=False) as old:  # the store as migration 5 left it
        old.execute(f"ALTER TABLE latest DROP COLUMN {DIGEST}")
        old.execute("DELETE FROM threatlake_migrations WHERE version = 6")
    with DuckDBStore(path, lag=3600) as migrated:
        assert _state(migrated)[2] == []
        migrated.write(events[70:])
        migrated._fold()
        _check(migrated)
