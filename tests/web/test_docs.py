"""Every route of the app comes from the endpoint table (or the pages), is in docs/api.md and in the
OpenAPI document, and names a known scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.routing import Route

from tests.web.fakes import GatedStore
from threatlake.config import Config
from threatlake.state import memory_state
from threatlake.state.tokens import SCOPES
from threatlake.web import create_app
from threatlake.web.app import PAGES
from threatlake.web.endpoints import ENDPOINTS
from threatlake.web.openapi import document, scope_text

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
TABLE = {(endpoint.method, endpoint.path) for endpoint in ENDPOINTS}
PUBLIC = {"/healthz", "/readyz", "/metrics", "/platform/openapi.json"}  # everything else needs a scope


def _app_routes() -> list[tuple[str, str]]:
    app = create_app(Config(), GatedStore(), memory_state())  # type: ignore[arg-type]
    return [
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and route not in PAGES
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]


def test_every_route_is_in_the_table() -> None:
    routes = _app_routes()
    assert sorted(set(routes)) == sorted(TABLE)
    assert len(routes) == len(ENDPOINTS)  # one row per route, no route twice


@pytest.mark.parametrize(("method", "path"), sorted(TABLE))
def test_endpoint_is_documented(method: str, path: str) -> None:
    assert f"{method} {path}" in API_DOC.read_text()
    assert method.lower() in document(ENDPOINTS)["paths"][path]


def test_scopes_are_known_and_documented() -> None:
    paths = document(ENDPOINTS)["paths"]
    for endpoint in ENDPOINTS:
        operation = paths[endpoint.path][endpoint.method.lower()]
        if endpoint.scope is None:
            assert operation["security"] == [] and endpoint.path in PUBLIC
        else:
            named = (endpoint.scope,) if isinstance(endpoint.scope, str) else endpoint.scope
            assert set(named) <= set(SCOPES) and operation["description"] == scope_text(endpoint.scope)
