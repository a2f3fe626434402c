"""Every golden case's ClickHouse SQL runs on the ClickHouse engine (chDB, in-process) over the test events.

Cases whose ClickHouse SQL does not run yet are listed in ``KNOWN`` with the engine's reason (strict xfail:
one that starts passing must leave the list)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.query.regen import TABLES
from threatlake.model.fields import CLICKHOUSE_STORAGE_TYPES, FIELDS
from threatlake.query import compile_query

from .conftest import NOW

chdb_session = pytest.importorskip("chdb.session", reason="chdb (the ClickHouse engine in-process) is absent")

CASES = [(table, name, text) for table, cases in TABLES.items() for name, text in cases.items()]
IDS = [f"{table}:{name}" for table, name, _ in CASES]
_STRUCT = (
    "a struct literal is written `{name := value}`, which ClickHouse cannot parse (needs a tuple emitter)"
)
KNOWN: dict[str, str] = {
    "commands:fieldsFlatten": _STRUCT,
    "commands:makeTimeseries": _STRUCT,
    "commands:append": "UNION ALL BY NAME has no ClickHouse form; needs explicit column lists",
    "functions:takeFirst": "ordered `first(x ORDER BY ts)`: no ClickHouse syntax; needs argMin(x, ts)",
    "functions:takeLast": "ordered `last(x ORDER BY ts)`: no ClickHouse syntax; needs argMax(x, ts)",
    "functions:record": _STRUCT,
    "functions:ipIn": "list_reduce has no emitter yet (ClickHouse arrayFold orders its arguments otherwise)",
    "syntax:record-access": _STRUCT,
    "syntax:flatten-record": _STRUCT,
    "syntax:parse-json-record": _STRUCT,
    "syntax:timeseries-interval-widened": _STRUCT,
}


@pytest.fixture(scope="module")
def session() -> Iterator[Any]:
    s = chdb_session.Session()
    columns = ", ".join(f"`{name}` {CLICKHOUSE_STORAGE_TYPES[f.type]}" for name, f in FIELDS.items())
    s.query(f"CREATE TABLE events ({columns}, extra Nullable(String)) ENGINE = MergeTree ORDER BY tuple()")
    s.query("CREATE TABLE buckets (name String, retention_days Int32, created DateTime64(6)) ENGINE = Memory")
    yield s
    s.close()


def _params(values: tuple[object, ...]) -> dict[str, object]:
    return {f"p{i}": value for i, value in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("table", "name", "text"),
    [
        pytest.param(*case, marks=pytest.mark.xfail(reason=KNOWN[key], strict=True)) if key in KNOWN else case
        for case, key in zip(CASES, IDS, strict=True)
    ],
    ids=IDS,
)
def test_runs_on_clickhouse(session: Any, table: str, name: str, text: str) -> None:
    query = compile_query(text, now=NOW, dialect="clickhouse")
    session.query(query.sql, "JSONCompact", params=_params(query.params))
