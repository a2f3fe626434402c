"""The dashboard document: ``{"version", "variables", "tiles": {id: tile}, "layouts": {id: {x, y, w, h}}}``.

Tiles sit on a 24-column grid. A tile is ``{"type": "data", "title", "query", "visualization",
"visualizationSettings", "querySettings"}`` or ``{"type": "markdown", "content"}``; other tile types (the
product's code tiles) are kept and shown as a note. A visualization Threatlake does not draw renders as a
table with a note, never as an error. A tile without a layout is placed below the others.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from threatlake.documents.source import Problems

__all__ = [
    "GRID_COLUMNS",
    "MIN_VERSION",
    "VISUALIZATIONS",
    "data_tiles",
    "normalize_dashboard",
    "tile_visualization",
]

GRID_COLUMNS = 24
MIN_VERSION = 15
MAX_TILES = 200
MAX_QUERY_CHARS = 100_000
_DEFAULT_SIZE = {"w": 12, "h": 6}
_MAX_ROWS = 10_000

#: Visualization → how the page draws it.
VISUALIZATIONS: dict[str, str] = {
    "table": "a table of the records",
    "recordList": "each record with all its fields",
    "singleValue": "one big number: the first numeric field of the first record",
    "lineChart": "lines over time (makeTimeseries or a timestamp-binned summarize)",
    "areaChart": "filled lines over time",
    "barChart": "bars over time, or per category",
    "categoricalBarChart": "one bar per category (first string field) of the first numeric field",
    "pieChart": "slices per category",
    "donutChart": "a pie with a hole",
    "honeycomb": "a coloured cell per record",
}

TILE_TYPES = ("data", "markdown")
VARIABLE_TYPES = ("query", "csv", "text")
VARIABLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


def tile_visualization(tile: dict[str, Any]) -> tuple[str, str | None]:
    """(the visualization to draw, a note for the user when it is not the one the tile asks for)."""
    wanted = tile.get("visualization") or "table"
    if wanted in VISUALIZATIONS:
        return wanted, None
    return "table", f"The visualization {str(wanted)[:60]!r} is not available here; shown as a table."


def data_tiles(dashboard: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(tile id, tile)`` of every data tile, in layout order (top to bottom, left to right)."""
    layouts = dashboard.get("layouts", {})

    def where(item: tuple[str, dict[str, Any]]) -> tuple[int, int]:
        box = layouts.get(item[0], {})
        return int(box.get("y", 0)), int(box.get("x", 0))

    tiles = [(key, tile) for key, tile in dashboard.get("tiles", {}).items() if tile.get("type") == "data"]
    return sorted(tiles, key=where)


def _check_tile(key: str, tile: Any, problems: Problems) -> None:
    path = f"tiles.{key}"
    if not problems.expect(tile, dict, path, "an object"):
        return
    kind = tile.get("type")
    if not problems.expect(kind, str, f"{path}.type", "a string"):
        return
    if kind == "data":
        query = tile.get("query")
        if problems.expect(query, str, f"{path}.query", "a string of DQL") and len(query) > MAX_QUERY_CHARS:
            problems.add(f"{path}.query", f"is over {MAX_QUERY_CHARS} characters")
        for name in ("title", "visualization"):
            if tile.get(name) is not None:
                problems.expect(tile[name], str, f"{path}.{name}", "a string")
        for name in ("visualizationSettings", "querySettings"):
            if tile.get(name) is not None:
                problems.expect(tile[name], dict, f"{path}.{name}", "an object")
    elif kind == "markdown":
        problems.expect(tile.get("content", ""), str, f"{path}.content", "a string of Markdown")
    if tile.get("title") is not None and kind != "data":
        problems.expect(tile["title"], str, f"{path}.title", "a string")


def _check_layout(key: str, box: Any, tiles: dict[str, Any], problems: Problems) -> None:
    path = f"layouts.{key}"
    if key not in tiles:
        problems.add(path, "is the layout of a tile the document does not have")
        return
    if not problems.expect(box, dict, path, "an object with x, y, w and h"):
        return
    good = True
    for name, least in (("x", 0), ("y", 0), ("w", 1), ("h", 1)):
        value = box.get(name)
        if not problems.expect(value, int, f"{path}.{name}", "a whole number"):
            good = False
        elif not least <= value <= (GRID_COLUMNS if name in "xw" else _MAX_ROWS):
            problems.add(
                f"{path}.{name}", f"must be from {least} to {GRID_COLUMNS if name in 'xw' else _MAX_ROWS}"
            )
            good = False
    if good and box["x"] + box["w"] > GRID_COLUMNS:
        problems.add(f"{path}", f"reaches column {box['x'] + box['w']}, past the {GRID_COLUMNS}-column grid")


def _check_variable(index: int, variable: Any, keys: set[str], problems: Problems) -> None:
    path = f"variables[{index}]"
    if not problems.expect(variable, dict, path, "an object"):
        return
    key = variable.get("key")
    if problems.expect(key, str, f"{path}.key", "a string"):
        if not VARIABLE_KEY.fullmatch(key):
            problems.add(
                f"{path}.key", "must be a name of letters, digits and '_' (used as $name in queries)"
            )
        elif key in keys:
            problems.add(f"{path}.key", f"repeats the variable {key!r}")
        keys.add(key)
    kind = variable.get("type", "text")
    if problems.expect(kind, str, f"{path}.type", "a string") and kind not in VARIABLE_TYPES:
        problems.add(f"{path}.type", f"must be one of {', '.join(VARIABLE_TYPES)}")
    if variable.get("input") is not None:
        problems.expect(
            variable["input"], str, f"{path}.input", "a string (a DQL query, or comma-separated values)"
        )
    if variable.get("multiple") is not None:
        problems.expect(variable["multiple"], bool, f"{path}.multiple", "true or false")
    default = variable.get("defaultValue")
    if default is not None and not (
        isinstance(default, str) or (isinstance(default, list) and all(isinstance(v, str) for v in default))
    ):
        problems.add(f"{path}.defaultValue", "must be a string or an array of strings")


def _place_missing(tiles: dict[str, Any], layouts: dict[str, Any]) -> None:
    bottom = max((box["y"] + box["h"] for box in layouts.values()), default=0)
    x = 0
    for key in tiles:
        if key in layouts:
            continue
        if x + _DEFAULT_SIZE["w"] > GRID_COLUMNS:
            x, bottom = 0, bottom + _DEFAULT_SIZE["h"]
        layouts[key] = {"x": x, "y": bottom, **_DEFAULT_SIZE}
        x += _DEFAULT_SIZE["w"]


def normalize_dashboard(document: Any) -> dict[str, Any]:
    """A checked copy of ``document`` with ``variables``, ``tiles`` and a layout for every tile."""
    problems = Problems("dashboard document")
    if not problems.expect(document, dict, "", "a JSON object"):
        problems.raise_if_any()
    out: dict[str, Any] = copy.deepcopy(document)
    version: Any = out.get("version")
    if problems.expect(version, int, "version", "a whole number") and version < MIN_VERSION:
        problems.add("version", f"is {version}; this is the format of version {MIN_VERSION} and later")
    tiles = out.setdefault("tiles", {})
    layouts = out.setdefault("layouts", {})
    variables = out.setdefault("variables", [])
    if problems.expect(tiles, dict, "tiles", "an object of tile id → tile"):
        if len(tiles) > MAX_TILES:
            problems.add("tiles", f"has {len(tiles)} tiles; at most {MAX_TILES}")
        for key, tile in tiles.items():
            _check_tile(key, tile, problems)
    else:
        tiles = {}
    if problems.expect(layouts, dict, "layouts", "an object of tile id → {x, y, w, h}"):
        for key, box in layouts.items():
            _check_layout(key, box, tiles, problems)
    if problems.expect(variables, list, "variables", "an array"):
        keys: set[str] = set()
        for index, variable in enumerate(variables):
            _check_variable(index, variable, keys, problems)
    problems.raise_if_any()
    _place_missing(tiles, layouts)
    return out
