"""Members of ``extra`` read through ClickHouse's typed maps and promoted columns answer exactly as the JSON
path does, and as DuckDB does (``query/clickhouse_extra.py``, ``store/clickhouse/extra.py``).

The corpus puts every kind of member under one key (strings with escapes, quotes, slashes and non-ASCII
text, integers, integers beyond 2^53 and beyond Int64, integral and fractional floats, ``-0.0``, booleans,
``null``, arrays, objects) so each map, and the fallback to the JSON, is read by every query; the promoted
key ``service.action`` gets the same kinds. Every query answers on chDB as the JSON path answers there, and
as DuckDB answers, but for the integral doubles (``JSON_PATH_ONLY``: the JSON path itself reads them as
integers, and the maps keep its answer). The maps hold what they should (the backfill of rows stored before
migration 6 included), and the compiled SQL reads them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.store.engines import FreshStore, Pair, chdb_root, fresh_chdb, open_pair
from threatlake.model.fields import EXTRA_MAPS, PROMOTED_EXTRA
from threatlake.query import clickhouse_json, compile_query, to_result
from threatlake.store.clickhouse import ChdbClient, ClickHouseStore
from threatlake.store.clickhouse.schema import Target, bootstrap, plan

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here

NOW = datetime(2026, 1, 1, 12, 0, 0)
SINCE = NOW - timedelta(days=1)
PROMOTED = next(iter(PROMOTED_EXTRA))
#: One value of every kind a member can hold (the same list under the promoted key).
VALUES: list[Any] = [
    "PORT_PROBE",
    'a/b "quoted" back\\slash\ttab',
    "é ünïcode 😀",
    "",
    "12",
    7,
    -3,
    0,
    9007199254740993,  # 2^53 + 1: no Float64 holds it
    12345678901234567890,
    1.5,
    10.0,
    -0.0,
    1e-7,
    1e300,
    1e16,
    True,
    False,
    None,
    ["T1", "T2"],
    [],
    {"a": {"b": 2}},
]


#: Rows whose member reads differently on DuckDB, on the JSON path as on the maps: ClickHouse writes the
#: JSON of 10.0, -0.0 and 1e16 as 10, -0 and 10000000000000000 (``store/clickhouse/extra.py``).
JSON_PATH_ONLY = ("e11", "e12", "e15")


def _event(i: int, value: Any) -> dict[str, Any]:
    return {
        "timestamp": NOW - timedelta(minutes=i + 1),
        "event.id": f"e{i:02d}",
        "event.kind": "SECURITY_EVENT",
        "dt.ingest.time": datetime.now(UTC).isoformat(),
        "svc.value": value,
        PROMOTED: value,
        "svc.tag": f"t{i % 3}",
    }


EVENTS = [_event(i, value) for i, value in enumerate(VALUES)] + [
    {
        "timestamp": NOW - timedelta(hours=1),
        "event.id": "e99",
        "event.kind": "SECURITY_EVENT",
    }  # no extra at all
]


@pytest.fixture(scope="module")
def pair(fresh_chdb: FreshStore) -> Iterator[Pair]:
    both = open_pair(fresh_chdb)
    both.write(EVENTS)
    yield both
    both.duckdb.close()


QUERIES = [
    "fields event.id, x = {key}",
    "fields event.id, x = toString({key})",
    "fields event.id, x = toDouble({key})",
    "fields event.id, x = toLong({key})",
    "fields event.id, x = toBoolean({key})",
    "fields event.id, x = isNull({key}), y = isNotNull({key})",
    "fields event.id, x = arraySize({key})",
    'fields event.id, x = concat("<", {key}, ">")',
    'filter {key} == "PORT_PROBE" | fields event.id',
    'filter {key} == "T2" | fields event.id',
    "filter {key} > 1 | fields event.id, {key}",
    "filter {key} == 7 | fields event.id",
    "filter {key} == true | fields event.id",
    "filter isNull({key}) | fields event.id",
    'filter startsWith({key}, "a/") | fields event.id',
    "summarize n = count(), by:{{{key}}}",
    "summarize total = sum({key}), top = max({key}), lo = min({key}), n = countIf(isNotNull({key}))",
    "summarize n = count(), by:{{svc.tag, {key}}}",
    "sort {key} desc, event.id | fields event.id, {key}",
    "fields event.id, r = record(v = {key}) | fieldsAdd t = toString(r)",
]


def _text(pipeline: str, key: str, *, skip: tuple[str, ...] = ()) -> str:
    excluded = f"filter not in(event.id, {{{', '.join(repr(i).replace(chr(39), chr(34)) for i in skip)}}}) | "
    text = "fetch security.events | " + (excluded if skip else "") + pipeline.format(key=key)
    return text if "sort " in pipeline or "summarize" in pipeline else text + " | sort event.id"


def _same(records: list[dict[str, Any]]) -> list[str]:
    return sorted(map(repr, records))


@pytest.mark.parametrize("key", ["svc.value", PROMOTED])
@pytest.mark.parametrize("pipeline", QUERIES)
def test_a_member_answers_as_on_duckdb(pair: Pair, pipeline: str, key: str) -> None:
    ordered = "sort " in pipeline
    duck, chdb = pair.answers(_text(pipeline, key, skip=JSON_PATH_ONLY), now=NOW, default_from=SINCE)
    assert (chdb if ordered else _same(chdb)) == (duck if ordered else _same(duck))
    assert duck  # every query finds something


def _on_chdb(pair: Pair, text: str) -> list[dict[str, Any]]:
    compiled = compile_query(text, dialect="clickhouse", now=NOW, default_from=SINCE)
    return list(to_result(compiled, pair.chdb.execute(compiled.sql, compiled.params))["records"])


@pytest.mark.parametrize("key", ["svc.value", PROMOTED])
@pytest.mark.parametrize("pipeline", QUERIES)
def test_a_member_answers_as_the_json_path_does(
    pair: Pair, pipeline: str, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _text(pipeline, key)
    maps = _on_chdb(pair, text)
    monkeypatch.setattr(clickhouse_json, "extra_reads", lambda tree, values: {})
    json_path = _on_chdb(pair, text)
    ordered = "sort " in pipeline
    assert (maps if ordered else _same(maps)) == (json_path if ordered else _same(json_path))
    assert maps


def test_the_compiled_reads_use_the_maps_and_the_promoted_column() -> None:
    plain = compile_query('fetch security.events | filter svc.value == "x"', dialect="clickhouse", now=NOW)
    assert f'mapContains("{EXTRA_MAPS["string"]}"' in plain.sql
    promoted = compile_query(
        f'fetch security.events | filter {PROMOTED} == "x"', dialect="clickhouse", now=NOW
    )
    assert f'"{PROMOTED_EXTRA[PROMOTED]}"' in promoted.sql
    assert "JSONExtractRaw" not in promoted.sql and "mapContains" not in promoted.sql
    later = compile_query(  # a member of a document built by fieldsFlatten keeps the JSON path
        "fetch security.events | fieldsFlatten svc | filter svc.value == 1", dialect="clickhouse", now=NOW
    )
    assert "JSONExtractRaw" in later.sql


def _maps(store: ClickHouseStore, event_id: str) -> dict[str, Any]:
    names = ", ".join(f'"{name}"' for name in [*EXTRA_MAPS.values(), *PROMOTED_EXTRA.values()])
    table = store.execute(f'SELECT {names} FROM events WHERE "event.id" = {{i:String}}', {"i": event_id})
    row: dict[str, Any] = table.to_pylist()[0]
    return {name: dict(value) if isinstance(value, list) else value for name, value in row.items()}


def test_the_maps_hold_the_scalar_members_a_map_holds_exactly(pair: Pair) -> None:
    store = pair.chdb
    assert isinstance(store, ClickHouseStore)
    strings = _maps(store, "e01")
    assert strings["extra_string"]["svc.value"] == VALUES[1] and strings["extra_long"] == {}
    assert _maps(store, "e05")["extra_long"] == {"svc.value": 7, PROMOTED: 7}
    assert _maps(store, "e08")["extra_long"] == {"svc.value": 2**53 + 1, PROMOTED: 2**53 + 1}
    for row, value in (("e10", 1.5), ("e13", 1e-7), ("e14", 1e300)):
        doubles = _maps(store, row)
        assert doubles["extra_double"] == {"svc.value": value, PROMOTED: value} and not doubles["extra_long"]
    for row, number in (("e11", 10), ("e15", 10**16)):  # as ClickHouse writes their JSON: 10, 1e16
        assert _maps(store, row)["extra_long"] == {"svc.value": number, PROMOTED: number}
    assert _maps(store, "e16")["extra_bool"] == {"svc.value": True, PROMOTED: True}
    for held_by_none in ("e09", "e12", "e18", "e19", "e21"):  # beyond Int64, -0, null, an array, an object
        row = _maps(store, held_by_none)
        assert not row["extra_long"] and not row["extra_double"] and not row["extra_bool"]
        assert set(row["extra_string"]) == {"svc.tag"}
    assert _maps(store, "e00")[PROMOTED_EXTRA[PROMOTED]] == '"PORT_PROBE"'
    assert _maps(store, "e99") == {name: {} for name in EXTRA_MAPS.values()} | {
        PROMOTED_EXTRA[PROMOTED]: None
    }


def test_migration_6_backfills_rows_stored_before_it(chdb_root: Path) -> None:
    database = "extra_backfill"
    client = ChdbClient(chdb_root, database)
    store = ClickHouseStore(client, database, migrate=False)
    try:
        before = [step for step in plan(Target(database)) if step.version < 6]
        for statement in [
            *bootstrap(Target(database)),
            *(text for step in before for text in step.statements),
        ]:
            client.command(statement)
        store.write([_event(1, "kept"), _event(5, 7)])
        store.migrate()  # records 1-4 (idempotent) and runs 6
        for _ in range(100):  # the MATERIALIZE COLUMN mutation runs in the background
            pending = store.execute(
                "SELECT count() AS n FROM system.mutations WHERE database = {d:String} AND NOT is_done",
                {"d": database},
            )
            if pending.column("n")[0].as_py() == 0:
                break
            time.sleep(0.1)
        stored = store.execute(
            "SELECT groupUniqArray(column) AS names FROM system.parts_columns "
            "WHERE database = {d:String} AND table = 'events' AND active",
            {"d": database},
        )
        assert set(EXTRA_MAPS.values()) <= set(stored.column("names")[0].as_py())  # on disk, not computed
        assert _maps(store, "e01")["extra_string"]["svc.value"] == "kept"
        assert _maps(store, "e05")["extra_long"]["svc.value"] == 7
    finally:
        store.close()
