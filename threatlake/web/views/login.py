"""Sign-in and sign-out: ``/login`` (GET form, POST credentials) and ``/logout`` (POST).

The sign-in form is protected against cross-site posting by a double-submit token (a random cookie the form
repeats), since there is no session yet. Failures are throttled per user name and per client address
(``session.Throttle``); the answer never says whether the user exists.
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threatlake.web.views import platform
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import READ, form, page, viewer
from threatlake.web.views.render import render
from threatlake.web.views.session import COOKIE, CSRF_FIELD, csrf_matches, set_cookie

__all__ = ["NAV", "ROUTES"]

NAV: tuple[NavLink, ...] = ()
LOGIN_COOKIE = "tl_login"


def _next(value: str | None) -> str:
    """Only a path on this site (never ``//host`` or ``https://...``)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/"


def _form(request: Request, *, error: str = "", name: str = "", status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    context = {
        "error": error,
        "name": name,
        "login_csrf": token,
        "next": _next(request.query_params.get("next")),
    }
    response = render(request, "login.html", context, status=status)
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


async def show(request: Request) -> Response:
    return _form(request)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def sign_in(request: Request) -> Response:
    data = form(request)
    name, password = str(data.get("username") or ""), str(data.get("password") or "")
    given = data.get(CSRF_FIELD)
    if not csrf_matches(request.cookies.get(LOGIN_COOKIE, ""), given if isinstance(given, str) else None):
        return _form(request, error="The sign-in form expired; please try again.", name=name, status=400)
    now = time.monotonic()
    checks = tuple(zip(platform.throttles(request), (name.lower(), _client(request)), strict=True))
    wait = max(throttle.wait(key, now) for throttle, key in checks)
    if wait > 0:
        message = f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds."
        response = _form(request, error=message, name=name, status=429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    user = await platform.find_user(request, name, password) if name and password else None
    if user is None:
        for throttle, key in checks:
            throttle.fail(key, now)
        return _form(request, error="Wrong user name or password.", name=name, status=401)
    for throttle, key in checks:
        throttle.clear(key)
    cookie = await platform.sign_in(request, user)
    response = RedirectResponse(_next(str(data.get("next") or "")), status_code=303)
    set_cookie(request, response, COOKIE, cookie, max_age=int(platform.SESSION_TTL.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


async def sign_out(request: Request) -> Response:
    await platform.sign_out(request, viewer(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


ROUTES = [
    page("/login", show, scope=None),
    page("/login", sign_in, methods=["POST"], scope=None),
    page("/logout", sign_out, methods=["POST"], scope=READ),
]
