"""The batch executor (a statement over an in-memory ``batch``) and the pipeline definition files."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from threatlake.errors import StoreError
from threatlake.state.pipelines import FilePipelines, MemoryPipelines
from threatlake.store.arrow import ARROW_SCHEMA, to_table
from threatlake.store.batch import BatchExecutor, conform, to_events

T = "2026-05-01T00:00:00.000000000Z"
EVENTS = [
    {"event.id": "a", "timestamp": T, "finding.score": 9.0, "team": "sec", "tags": ["x"]},
    {"event.id": "b", "timestamp": T, "finding.score": 1.0, "finding.types": ["t1", "t2"]},
]


def test_round_trip_through_arrow_is_lossless() -> None:
    assert to_events(to_table(EVENTS)) == EVENTS


def test_run_on_batch_with_parameters() -> None:
    with BatchExecutor() as executor:
        out = executor.run_on_batch(to_table(EVENTS), 'SELECT * FROM batch WHERE "finding.score" > $1', [5])
        assert out.schema.equals(ARROW_SCHEMA)
        assert to_events(out) == EVENTS[:1]
        again = executor.run_on_batch(to_table(EVENTS), "SELECT * FROM batch", [])  # re-registered each time
        assert again.num_rows == 2


def test_errors_are_store_errors() -> None:
    with BatchExecutor() as executor:
        with pytest.raises(StoreError, match="pipeline statement failed"):
            executor.run_on_batch(to_table(EVENTS), "SELECT nope FROM batch", [])
        with pytest.raises(StoreError, match="not the events schema"):
            executor.run_on_batch(to_table(EVENTS), 'SELECT "event.id" FROM batch', [])


def test_conform_casts_duckdb_types() -> None:
    table = to_table(EVENTS)
    large = pa.Table.from_arrays(
        [c.cast(pa.large_string()) if pa.types.is_string(c.type) else c for c in table.columns],
        names=table.column_names,
    )
    assert conform(large).schema.equals(ARROW_SCHEMA)


def test_shared_between_threads() -> None:
    errors: list[BaseException] = []
    with BatchExecutor() as executor:

        def work() -> None:
            try:
                for _ in range(20):
                    out = executor.run_on_batch(to_table(EVENTS), "SELECT * FROM batch", [])
                    assert out.num_rows == 2
            except BaseException as error:  # pragma: no cover
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_pipeline_repository(kind: str, tmp_path: Path) -> None:
    repo = FilePipelines(tmp_path) if kind == "file" else MemoryPipelines()
    assert repo.list() == [] and repo.get("a") is None
    assert repo.put("b", "name: b\n") is True
    assert repo.put("a", "name: a\n") is True
    assert repo.put("a", "# new\nname: a\n") is False
    assert repo.list() == [("a", "# new\nname: a\n"), ("b", "name: b\n")]
    assert repo.get("a") == "# new\nname: a\n"
    assert repo.delete("a") is True and repo.delete("a") is False
    with pytest.raises(StoreError):
        repo.put("../x", "")
    if isinstance(repo, FilePipelines):
        assert sorted(p.name for p in (tmp_path / "pipelines").iterdir()) == ["b.yaml"]
