"""docs/ui.md keeps up with the pages: every route is named there, every screenshot it links exists."""

from __future__ import annotations

import re
from pathlib import Path

from threatlake.web.views import PAGES

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_every_page_route_is_documented() -> None:
    text = (DOCS / "ui.md").read_text()
    routes = {route.path for module in PAGES for route in module.ROUTES}  # type: ignore[attr-defined]
    generic = {
        path: re.sub(r"^/settings/(amazon-guardduty|aws-security-hub)/", "/settings/<integration>/", path)
        for path in routes
    }
    missing = sorted(path for path in routes if f"`{path}`" not in text and f"`{generic[path]}`" not in text)
    assert missing == []


def test_linked_screenshots_exist() -> None:
    text = (DOCS / "ui.md").read_text()
    links = re.findall(r"\((screenshots/[^)]+\.png)\)", text)
    assert links
    assert [link for link in links if not (DOCS / link).exists()] == []
