"""The dashboard and notebook formats: golden round trips, defaults, and problems named by position."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.documents.regen import GOLDEN, document_type, expected_path, render
from threatlake.documents import (
    GRID_COLUMNS,
    normalize,
    normalize_dashboard,
    normalize_notebook,
    tile_visualization,
)
from threatlake.errors import RequestError

INPUTS = sorted(GOLDEN.glob("*.input.json"))


@pytest.mark.parametrize("path", INPUTS, ids=lambda path: path.name)
def test_golden(path: Path) -> None:
    assert render(path) == expected_path(path).read_bytes(), "run: python -m tests.documents.regen"


@pytest.mark.parametrize("path", INPUTS, ids=lambda path: path.name)
def test_unknown_keys_survive_and_normalizing_twice_changes_nothing(path: Path) -> None:
    original = orjson.loads(path.read_bytes())
    once = normalize(document_type(path), path.read_bytes())
    assert normalize(document_type(path), once) == once

    def keys(value: Any, prefix: str = "") -> set[str]:
        if isinstance(value, dict):
            return {f"{prefix}.{k}" for k in value} | {
                p for k, v in value.items() for p in keys(v, f"{prefix}.{k}")
            }
        if isinstance(value, list):
            return {p for i, v in enumerate(value) for p in keys(v, f"{prefix}[{i}]")}
        return set()

    assert keys(original) <= keys(once)


def _dashboard(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": 15,
        "tiles": {"a": {"type": "data", "title": "t", "query": "fetch security.events"}},
        "layouts": {"a": {"x": 0, "y": 0, "w": 24, "h": 3}},
    }
    doc.update(changes)
    return doc


def test_a_dashboard_gets_variables_and_keeps_its_layout() -> None:
    out = normalize_dashboard(_dashboard())
    assert out["variables"] == []
    assert out["layouts"]["a"] == {"x": 0, "y": 0, "w": 24, "h": 3}


def test_tiles_without_layout_are_placed_below_the_others_within_the_grid() -> None:
    tiles = {str(i): {"type": "markdown", "content": "x"} for i in range(5)}
    out = normalize_dashboard(
        {"version": 16, "tiles": tiles, "layouts": {"0": {"x": 0, "y": 0, "w": 24, "h": 4}}}
    )
    boxes = [out["layouts"][str(i)] for i in range(1, 5)]
    assert all(box["y"] >= 4 and box["x"] + box["w"] <= GRID_COLUMNS for box in boxes)
    assert len({(box["x"], box["y"]) for box in boxes}) == 4  # none on top of another


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"version": 14}, "version", "version 15"),
        ({"version": "15"}, "version", "whole number"),
        ({"tiles": []}, "tiles", "an object"),
        ({"tiles": {"a": {"type": "data", "query": 3}}}, "tiles.a.query", "string of DQL"),
        (
            {"tiles": {"a": {"type": "data", "query": "x", "visualizationSettings": []}}},
            "tiles.a.visualizationSettings",
            "an object",
        ),
        ({"layouts": {"a": {"x": 20, "y": 0, "w": 8, "h": 3}}}, "layouts.a", "past the 24-column grid"),
        ({"layouts": {"a": {"x": 0, "y": 0, "w": 0, "h": 3}}}, "layouts.a.w", "from 1 to 24"),
        ({"layouts": {"a": {"x": 0, "y": 0, "w": 2.5, "h": 3}}}, "layouts.a.w", "whole number"),
        ({"layouts": {"a": {"x": 0, "y": 0, "w": True, "h": 3}}}, "layouts.a.w", "whole number"),
        ({"layouts": {"zz": {"x": 0, "y": 0, "w": 2, "h": 3}}}, "layouts.zz", "does not have"),
        ({"variables": [{"key": "has space"}]}, "variables[0].key", "letters, digits"),
        ({"variables": [{"key": "a"}, {"key": "a"}]}, "variables[1].key", "repeats"),
        ({"variables": [{"key": "a", "type": "slider"}]}, "variables[0].type", "query, csv, text"),
        ({"variables": [{"key": "a", "defaultValue": [1]}]}, "variables[0].defaultValue", "array of strings"),
    ],
)
def test_dashboard_problems_are_named_by_path(changes: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(RequestError) as caught:
        normalize_dashboard(_dashboard(**changes))
    assert caught.value.details["path"] == path
    assert words in caught.value.message and path in caught.value.message


def test_every_problem_is_listed_at_once() -> None:
    doc = _dashboard(version="x", tiles={"a": {"type": "data"}, "b": 5})
    with pytest.raises(RequestError) as caught:
        normalize_dashboard(doc)
    paths = [problem["path"] for problem in caught.value.details["problems"]]  # type: ignore[attr-defined]
    assert paths == ["version", "tiles.a.query", "tiles.b"]


def test_text_that_is_not_json_is_reported_at_its_line_and_column() -> None:
    with pytest.raises(RequestError) as caught:
        normalize("dashboard", b'{\n  "version": 15,\n  "tiles": {,}\n}')
    assert caught.value.details == {"line": 3, "column": 13}
    assert "line 3, column 13" in caught.value.message


def test_an_unknown_document_type_is_refused() -> None:
    with pytest.raises(RequestError, match="Unknown document type 'report'"):
        normalize("report", b"{}")


@pytest.mark.parametrize(
    ("visualization", "drawn", "noted"),
    [("lineChart", "lineChart", False), (None, "table", False), ("choroplethMap", "table", True)],
)
def test_an_unknown_visualization_is_a_table_with_a_note(
    visualization: str | None, drawn: str, noted: bool
) -> None:
    shown, note = tile_visualization({"type": "data", "query": "x", "visualization": visualization})
    assert shown == drawn
    assert (note is not None) is noted
    if note:
        assert "choroplethMap" in note


def test_a_notebook_gets_section_ids_that_do_not_clash() -> None:
    doc = {
        "sections": [
            {"type": "markdown", "markdown": "a"},
            {"id": "section-1", "type": "dql"},
            {"type": "dql"},
        ]
    }
    out = normalize_notebook(doc)
    ids = [section["id"] for section in out["sections"]]
    assert len(set(ids)) == 3 and ids[1] == "section-1"
    assert out["sections"][2]["state"]["input"]["value"] == ""
    assert doc == {
        "sections": [
            {"type": "markdown", "markdown": "a"},
            {"id": "section-1", "type": "dql"},
            {"type": "dql"},
        ]
    }


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"sections": {}}, "sections"),
        ({"sections": [{"type": "dql", "state": {"input": {"value": 5}}}]}, "sections[0].state.input.value"),
        ({"sections": [{"type": "markdown", "markdown": None}]}, "sections[0].markdown"),
        (
            {"sections": [{"type": "dql", "state": {"input": {"timeframe": {"from": 1}}}}]},
            "sections[0].state.input.timeframe.from",
        ),
        ({"defaultTimeframe": "now()-2h", "sections": []}, "defaultTimeframe"),
        ({"version": True, "sections": []}, "version"),
        ([], ""),
    ],
)
def test_notebook_problems_are_named_by_path(doc: Any, path: str) -> None:
    with pytest.raises(RequestError) as caught:
        normalize_notebook(copy.deepcopy(doc))
    assert caught.value.details["path"] == path
