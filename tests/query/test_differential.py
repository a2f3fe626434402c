"""Differential: every golden DQL case answers the same on DuckDB and on chDB over the same stored corpus.

The corpus is the query tests' hand-shaped events plus the bundled samples mapped by the pipeline, written
through each store's ``write``. Records compare in order where the query has a ``sort`` command, as
multisets otherwise (DQL leaves the order unspecified there; which rows a ``limit``, ``dedup`` or ``lookup``
keeps is not left open: both engines take them in the fetch order, ``query/fetchorder.py``).
Cases that still differ are listed in ``KNOWN`` with the reason (strict xfail: one that starts agreeing
must leave the list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.query.conftest import EVENTS, NOW
from tests.query.regen import TABLES
from tests.store.engines import FreshStore, Pair, chdb_root, fresh_chdb, open_pair
from threatlake import samples
from threatlake.pipeline.mapping import IngestContext, map_bytes

__all__ = ["chdb_root", "fresh_chdb"]  # the session fixtures, used here

CASES = [(table, name, text) for table, cases in TABLES.items() for name, text in cases.items()]
IDS = [f"{table}:{name}" for table, name, _ in CASES]
SINCE = datetime(2000, 1, 1)
#: A ``sort`` command orders the records; ``dedup …, sort:`` only picks the row kept (the records that
#: come out are then compared as a multiset, the order DQL leaves unspecified).
SORTED = re.compile(r"\|\s*sort\b")

_ARRAYS = "ClickHouse arrays are never NULL: an absent array reads as [] where DuckDB gives null"
KNOWN: dict[str, str] = {}


def corpus(received: datetime) -> list[dict[str, Any]]:
    """The hand-shaped events (their ``extra`` keys as top-level fields) and the mapped samples."""
    arrived = {"dt.ingest.time": received.isoformat()}
    events = [
        {**{k: v for k, v in event.items() if k != "extra"}, **event["extra"], **arrived} for event in EVENTS
    ]
    context = IngestContext(received_at=received, source="differential")
    for path in sorted(Path(samples.__file__).parent.rglob("*.json")):
        events += map_bytes(path.read_bytes(), context, path.name).events
    return events


@pytest.fixture(scope="module")
def pair(fresh_chdb: FreshStore) -> Iterator[Pair]:
    both = open_pair(fresh_chdb)
    both.write(corpus(datetime.now(UTC)))  # arrived now: no bucket's retention has run out
    yield both
    both.duckdb.close()


def _rounded(value: Any) -> Any:
    """Floats to 12 significant digits: the engines sum in different orders."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def _canonical(records: list[dict[str, Any]], ordered: bool) -> list[str]:
    texts = [json.dumps(_rounded(record), sort_keys=True, default=str) for record in records]
    return texts if ordered else sorted(texts)


def _case(table: str, name: str, text: str) -> Any:
    key = f"{table}:{name}"
    if key in KNOWN:
        return pytest.param(
            table, name, text, marks=pytest.mark.xfail(reason=KNOWN[key], strict=True), id=key
        )
    return pytest.param(table, name, text, id=key)


#: Cases beside the golden ones, each an edge where the dialects once differed.
EDGES: dict[str, str] = {
    # events every 20 minutes: every other 10-minute bin is empty, null on both (a Map's default was 0)
    "timeseries-empty-bins": "fetch security.events, from:-10h | makeTimeseries n = count(), interval:10m",
    "timeseries-empty-bins-by": (
        "fetch security.events, from:-10h | makeTimeseries n = count(), by:{event.provider}, interval:20m"
    ),
}
CASES += [("edges", name, text) for name, text in EDGES.items()]
IDS += [f"edges:{name}" for name in EDGES]


@pytest.mark.parametrize(("table", "name", "text"), [_case(*case) for case in CASES])
def test_same_answer_on_duckdb_and_chdb(pair: Pair, table: str, name: str, text: str) -> None:
    duck, chdb = pair.answers(text, now=NOW, default_from=SINCE)
    ordered = SORTED.search(text) is not None
    assert _canonical(chdb, ordered) == _canonical(duck, ordered)
