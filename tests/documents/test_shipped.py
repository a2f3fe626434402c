"""The shipped dashboards: valid documents whose every tile compiles and runs on the bundled samples."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from threatlake.documents import (
    SHIPPED,
    VISUALIZATIONS,
    data_tiles,
    default_values,
    shipped_dashboard,
    shipped_dashboards,
    substitute,
)
from threatlake.query import compile_query, to_result
from threatlake.store import Store, open_store
from threatlake.web.server import load_samples

SAMPLES_FROM = datetime(2000, 1, 1, tzinfo=UTC)
SAMPLES_TO = datetime(2100, 1, 1, tzinfo=UTC)
TILES = [(stem, key) for stem, _name, doc in shipped_dashboards() for key, _tile in data_tiles(doc)]


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    store = open_store(":memory:")
    load_samples(store)
    yield store
    store.close()


def test_the_four_dashboards_the_issue_names_are_shipped() -> None:
    assert set(SHIPPED.values()) == {
        "Security findings overview",
        "Amazon GuardDuty detections",
        "AWS Security Hub compliance",
        "Container vulnerabilities",
    }


@pytest.mark.parametrize("stem", SHIPPED)
def test_a_shipped_dashboard_draws_only_visualizations_threatlake_has(stem: str) -> None:
    tiles = data_tiles(shipped_dashboard(stem))
    assert len(tiles) >= 6
    assert {tile["visualization"] for _key, tile in tiles} <= set(VISUALIZATIONS)


@pytest.mark.parametrize(("stem", "key"), TILES, ids=[f"{stem}:{key}" for stem, key in TILES])
def test_every_shipped_tile_runs_on_the_samples(store: Store, stem: str, key: str) -> None:
    doc = shipped_dashboard(stem)
    query = substitute(doc["tiles"][key]["query"], default_values(doc["variables"]))
    compiled = compile_query(
        query, dialect=store.dialect, now=datetime.now(UTC), default_from=SAMPLES_FROM, default_to=SAMPLES_TO
    )
    result = to_result(
        compiled, store.execute(compiled.sql, compiled.params), scanned_records=0, execution_ms=0
    )
    # ok (records) or empty; on the samples every shipped tile has something to show
    assert result["records"], f"{stem} tile {key} is empty on the samples"
