"""The web pages: one module per page (its ``ROUTES`` and its ``NAV`` links), one registry.

Adding a page is a module here and a line in ``PAGES``; the app mounts ``ROUTES`` with one line. Pages are
Jinja2 templates (``web/templates``) in the shell (``base.html``) with static files under hashed URLs
(``assets``), and reach the service only through ``platform``.
"""

from __future__ import annotations

from types import ModuleType

from starlette.routing import BaseRoute

from threatlake.web.views import (
    assets,
    credentials,
    dashboards,
    finding,
    findings,
    home,
    integrations,
    login,
    notebooks,
    settings,
    suppressions,
    workflows,
)
from threatlake.web.views.nav import SECTIONS, NavLink

__all__ = ["NAV", "PAGES", "ROUTES"]

PAGES: tuple[ModuleType, ...] = (
    login,
    home,
    findings,
    suppressions,
    finding,
    integrations,
    settings,
    notebooks,
    dashboards,
    workflows,
    credentials,
)


def _nav() -> tuple[tuple[str, tuple[NavLink, ...]], ...]:
    links = [link for module in PAGES for link in module.NAV]
    return tuple(
        (section, tuple(link for link in links if link.section == section))
        for section in SECTIONS
        if any(link.section == section for link in links)
    )


#: The shell's navigation: (section, links) in ``SECTIONS`` order.
NAV = _nav()
ROUTES: list[BaseRoute] = [*assets.ROUTES, *(route for module in PAGES for route in module.ROUTES)]
