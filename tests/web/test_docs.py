"""Every route of the app is in docs/api.md and in the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.routing import Route

from threatlake.web import views
from threatlake.web.app import routes
from threatlake.web.openapi import document

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROUTES = [
    (method, route.path)
    for route in routes()
    if isinstance(route, Route) and route not in views.ROUTES  # pages: docs/ui.md (tests/web/views)
    for method in sorted(route.methods or ())
    if method != "HEAD"
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_is_documented(method: str, path: str) -> None:
    assert f"{method} {path}" in API_DOC.read_text()
    assert method.lower() in document()["paths"][path]
