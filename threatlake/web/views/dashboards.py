"""Dashboards: ``/dashboards`` (list, new, import, install the shipped ones) and ``/dashboards/{id}``.

The page is the grid of the document's tiles, drawn on the server as empty boxes at their layout (a
markdown tile already rendered); ``dashboards.js`` runs each data tile's query through
``/notebooks/query`` (a few at a time) and draws it. Variables become pickers whose values live in the URL
(``var.<key>=value``, repeated for several). A visualization Threatlake does not draw is a table with a
note; a tile type it does not know (the product's code tiles) shows a note.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from threatlake.documents import GRID_COLUMNS, SHIPPED, csv_choices, default_values, tile_visualization
from threatlake.documents.library import SHIPPED_PREFIX, WRITE_SCOPE
from threatlake.state.documents import DocumentRecord
from threatlake.web.api.documents import library
from threatlake.web.views.nav import NavLink
from threatlake.web.views.notebooks import DocumentPages
from threatlake.web.views.notebooks_markdown import render_markdown
from threatlake.web.views.page import form, page, viewer

__all__ = ["DASHBOARDS", "NAV", "ROUTES"]

NAV = (NavLink("Analyze", "Dashboards", "/dashboards"),)
DEFAULT_FROM = "now()-24h"
_PREFIX = "var."


def _blank(query: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"version": 17, "variables": [], "tiles": {}, "layouts": {}}
    if query:
        tile = {"type": "data", "title": "", "query": query, "visualization": "table"}
        document["tiles"]["0"], document["layouts"]["0"] = tile, {"x": 0, "y": 0, "w": 24, "h": 8}
    return document


def _chosen(request: Request, variable: dict[str, Any], defaults: dict[str, Any]) -> list[str]:
    key = str(variable.get("key"))
    given = request.query_params.getlist(_PREFIX + key)
    if given:
        return given
    value = defaults.get(key, "")
    return value if isinstance(value, list) else ([value] if value else [])


def _tile_view(key: str, tile: dict[str, Any], box: dict[str, int]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "key": key,
        "tile": tile,
        "box": box,
        "type": tile.get("type"),
        "note": None,
        "visualization": None,
        "html": "",
    }
    if tile.get("type") == "data":
        view["visualization"], view["note"] = tile_visualization(tile)
    elif tile.get("type") == "markdown":
        view["html"] = render_markdown(str(tile.get("content", "")))
    else:
        view["note"] = f"Tiles of type {str(tile.get('type'))[:40]!r} are kept but not shown here."
    return view


async def _context(request: Request, record: DocumentRecord, content: dict[str, Any]) -> dict[str, Any]:
    layouts = content.get("layouts", {})
    tiles = [_tile_view(key, tile, layouts[key]) for key, tile in content.get("tiles", {}).items()]
    tiles.sort(key=lambda view: (view["box"]["y"], view["box"]["x"]))
    defaults = default_values(content.get("variables", []))
    variables = []
    for variable in content.get("variables", []):
        if variable.get("visible") is False:
            continue
        chosen = _chosen(request, variable, defaults)
        choices = csv_choices(variable) if variable.get("type") == "csv" else []
        shown = {
            "key": str(variable.get("key")),
            "type": variable.get("type") or "text",
            "multiple": bool(variable.get("multiple")),
            "input": str(variable.get("input") or ""),
        }
        variables.append({"variable": shown, "chosen": chosen, "choices": choices or chosen})
    rows = max((view["box"]["y"] + view["box"]["h"] for view in tiles), default=0)
    timeframe = request.state.timeframe
    return {
        "tiles": tiles,
        "variables": variables,
        "rows": rows,
        "columns": GRID_COLUMNS,
        # tiles always run over the shell's timeframe (the URL's, else this page's default)
        "explicit_from": timeframe.from_text,
        "explicit_to": timeframe.to_text,
    }


def _list_context(request: Request, records: list[DocumentRecord]) -> dict[str, Any]:
    """``?template=<name>`` (the integration pages' "Try our templates"): that ready-made dashboard, and
    whether it is installed already."""
    name = request.query_params.get("template")
    if not name or name not in SHIPPED.values():
        return {"template": None}
    stem = next(stem for stem, shipped in SHIPPED.items() if shipped == name)
    installed = next((r.id for r in records if r.id == SHIPPED_PREFIX + stem), None)
    return {"template": {"name": name, "installed": installed}}


DASHBOARDS = DocumentPages(
    document_type="dashboard",
    plural="dashboards",
    path="/dashboards",
    list_template="dashboards.html",
    show_template="dashboard.html",
    blank=_blank,
    context=_context,
    default_from=DEFAULT_FROM,
    list_context=_list_context,
)


async def install_shipped(request: Request) -> Response:
    """The ready-made dashboards (the form's ``name``: that one, opened; none: all of them), installed once
    (again: nothing changes)."""
    who = viewer(request).name
    name = form(request).get("name")
    names = [name] if isinstance(name, str) and name else None
    installed = await run_in_threadpool(
        lambda: library(request.app.state).install_shipped(owner=who, now=datetime.now(UTC), names=names)
    )
    target = f"/dashboards/{quote(installed[0].id, safe='')}" if names else "/dashboards"
    return RedirectResponse(target, status_code=303)


ROUTES: list[Route] = [
    page("/dashboards/install-shipped", install_shipped, methods=["POST"], scope=WRITE_SCOPE),
    *DASHBOARDS.routes(),
]
