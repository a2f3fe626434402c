"""``page(path, handler, ...)``: a page's route, with what every page needs done once, here.

Before the handler runs: the session is resolved into ``request.state.viewer`` (none: a redirect to the
sign-in page that comes back here), the scope is checked (missing: the 403 page), the timeframe of the URL is
parsed into ``request.state.timeframe``, and an unsafe request's form is read (bounded) into
``request.state.form`` and its CSRF token checked. Any ``ThreatlakeError`` becomes an HTML error page with
the status the API would give it (``web/errors.py`` decides the status).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from threatlake.errors import AuthError, RequestError, ScopeError, ThreatlakeError
from threatlake.web.body import read_body
from threatlake.web.errors import status_of
from threatlake.web.views import platform
from threatlake.web.views.render import render
from threatlake.web.views.session import COOKIE, CSRF_FIELD, CSRF_HEADER, Viewer, csrf_matches
from threatlake.web.views.timeframe import DEFAULT_FROM, NOW, Timeframe, parse_timeframe

__all__ = ["BY_METHOD", "READ", "SAFE_METHODS", "WRITE", "Handler", "error_page", "form", "page", "viewer"]

Handler = Callable[[Request], Awaitable[Response]]
READ = "storage:security.events:read"
BY_METHOD = "by method"
WRITE = "settings:write"
SAFE_METHODS = ("GET", "HEAD")
_MAX_FORM = 256 * 1024
_FORM_TYPE = "application/x-www-form-urlencoded"
_TITLES = {
    400: "This request cannot be served",
    403: "You do not have access to this",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    429: "Too many requests",
    503: "The service is busy",
}


def viewer(request: Request) -> Viewer:
    """The signed-in viewer of a page's request (set by ``page``)."""
    found: Viewer = request.state.viewer
    return found


def form(request: Request) -> FormData:
    """The form of an unsafe page request (read and CSRF-checked by ``page``)."""
    found: FormData = request.state.form
    return found


async def _signed_in(request: Request) -> Viewer:
    cookie = request.cookies.get(COOKIE, "")
    found = await platform.viewer_of(request, cookie) if cookie else None
    if found is None:
        raise AuthError("Sign in to see this page")
    return found


async def _read_form(request: Request) -> FormData:
    if (request.headers.get("content-type") or "").split(";")[0].strip().lower() != _FORM_TYPE:
        return FormData()
    body = await read_body(request, _MAX_FORM)
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=2000, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestError(f"The form cannot be read: {error}") from None
    return FormData(list[tuple[str, str | UploadFile]](pairs))


def _sign_in_redirect(request: Request) -> Response:
    target = request.url.path
    if request.method in SAFE_METHODS and request.url.query:
        target += f"?{request.url.query}"
    response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if request.headers.get("hx-request"):
        response.headers["HX-Redirect"] = response.headers["location"]
    return response


def error_page(request: Request, error: ThreatlakeError, status: int | None = None) -> Response:
    code = status or status_of(error)
    message = error.message if code < 500 else "Something went wrong on our side; the log has the details."
    return render(
        request,
        "error.html",
        {"status": code, "title": _TITLES.get(code, "Error"), "message": message},
        status=code,
    )


def page(
    path: str,
    handler: Handler,
    *,
    methods: Sequence[str] = ("GET",),
    scope: str | None = BY_METHOD,
    default_from: str = DEFAULT_FROM,
    name: str | None = None,
) -> Route:
    """The route of a page. ``scope`` is the scope the viewer needs: by default ``READ`` to see a page and
    ``WRITE`` to change something (an unsafe method); ``None`` makes the page public (the sign-in page)."""

    async def endpoint(request: Request) -> Response:
        now = datetime.now(UTC)
        request.state.timeframe = Timeframe(default_from, NOW, now, now)
        try:
            request.state.timeframe = parse_timeframe(request.query_params, now, default_from)
        except RequestError as error:
            request.state.timeframe = parse_timeframe({}, now, default_from)
            if scope is not None:
                try:
                    request.state.viewer = await _signed_in(request)
                except AuthError:
                    return _sign_in_redirect(request)
            return error_page(request, error)
        try:
            if scope is not None:
                request.state.viewer = await _signed_in(request)
            if request.method not in SAFE_METHODS:
                request.state.form = await _read_form(request)
                if scope is not None:
                    given = request.state.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
                    if not csrf_matches(viewer(request).csrf, given if isinstance(given, str) else None):
                        raise ScopeError("The form has expired or did not come from this site; reload it")
            needed = scope
            if scope == BY_METHOD:
                needed = READ if request.method in SAFE_METHODS else WRITE
            if needed is not None and not viewer(request).can(needed):
                raise ScopeError(
                    f"Your role ({viewer(request).role_label}) cannot do this: it needs the scope {needed!r}"
                )
            return await handler(request)
        except ScopeError as error:
            return error_page(request, error, 403)
        except AuthError:
            return _sign_in_redirect(request)
        except ThreatlakeError as error:
            return error_page(request, error)

    return Route(path, endpoint, methods=list(methods), name=name)
