"""Rendering pages: one Jinja2 environment (autoescape on, undefined names are errors), the shell's
context (viewer, timeframe, navigation, theme), list-state URLs, and the headers every page carries.

A page is HTML gzipped when the browser accepts it, with a Content-Security-Policy that allows nothing but
this origin: a page that named an outside URL would not load it (and a test fails on one).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import orjson
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from threatlake.web.views.assets import accepts_gzip, static_url
from threatlake.web.views.timeframe import NOW, PRESETS

__all__ = [
    "CSP",
    "TEMPLATES",
    "THEME_COOKIE",
    "environment",
    "page_headers",
    "render",
    "render_text",
    "url_for",
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
THEME_COOKIE = "tl_theme"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:;"
    " font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self';"
    " frame-ancestors 'none'"
)
_MIN_GZIP = 1024
#: Query parameters that belong to the shell, not to a page's list state.
SHELL_PARAMS = ("from", "to")


def url_for(request: Request, path: str | None = None, **changes: Any) -> str:
    """The current URL (or ``path``) with the current query parameters changed: a value of ``None`` removes
    one, a list sets several. Every link that changes list state goes through here, so state stays in
    the URL and nothing else is lost."""
    items: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        items.setdefault(key, []).append(value)
    for key, value in changes.items():
        name = key.rstrip("_")
        if value is None or value == []:
            items.pop(name, None)
        elif isinstance(value, list | tuple):
            items[name] = [str(item) for item in value]
        else:
            items[name] = [str(value)]
    query = urlencode([(key, value) for key, values in items.items() for value in values])
    target = request.url.path if path is None else path
    return target + ("?" + query if query else "")


def shell_url(request: Request, path: str) -> str:
    """``path`` with the current timeframe (only) kept: the navigation's links."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key in SHELL_PARAMS]
    return path + ("?" + urlencode(kept) if kept else "")


def _when(value: Any) -> str:
    """A timestamp as ``2026-12-01 10:04:05`` (UTC), for tables."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        return value[:10] + " " + value[11:19]
    return "" if value is None else str(value)


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if value % 1 else f"{int(value):,}"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _json_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (``<``, ``>``, ``&`` escaped)."""
    text = orjson.dumps(value).decode()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _nav() -> Iterable[Any]:
    from threatlake.web.views import NAV

    return NAV


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=static_url, presets=PRESETS, now_text=NOW, url_for=url_for, shell_url=shell_url)
    env.globals["nav"] = _nav
    env.filters.update(when=_when, number=_number, json_script=_json_script, pretty=_pretty)
    return env


_ENV = environment()


def page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
        "Vary": "Accept-Encoding, Cookie",
    }


def render_text(request: Request, template: str, context: Mapping[str, Any] | None = None) -> str:
    state = request.state
    theme = request.cookies.get(THEME_COOKIE)
    values = {
        "request": request,
        "viewer": getattr(state, "viewer", None),
        "timeframe": getattr(state, "timeframe", None),
        "theme": theme if theme in ("dark", "light") else None,
        **(context or {}),
    }
    return _ENV.get_template(template).render(values)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The page ``template`` rendered in the shell, as an HTML response."""
    body = render_text(request, template, context).encode()
    all_headers = {**page_headers(), **(headers or {})}
    if len(body) >= _MIN_GZIP and accepts_gzip(request):
        body = gzip.compress(body, compresslevel=5)
        all_headers["Content-Encoding"] = "gzip"
    return Response(body, status, all_headers, media_type="text/html; charset=utf-8")
