"""The one place that maps errors to HTTP: a status, then the JSON error shape or an HTML page.

Handlers raise; this module decides the status (``STATUS``) and the form. A request for a page — not under
``/platform`` and with an ``Accept`` header that prefers ``text/html`` over JSON, as a browser's does — gets
an HTML page: the services object's ``error_page`` renders it (the UI sets its template renderer there; a
plain built-in page otherwise). Everything else gets ``{"error": {"code", "message", "details"}}``. An
unexpected exception is logged with its traceback and the client gets a plain 500 without one.
"""

from __future__ import annotations

import html
import json
import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from threatlake.errors import (
    AuthError,
    BodyTooLargeError,
    ConfigError,
    ConflictError,
    MediaTypeError,
    NotFoundError,
    OverloadedError,
    QueryError,
    QueryTimeoutError,
    RequestError,
    ResultGoneError,
    ScopeError,
    SizeLimitError,
    SourceError,
    StoreError,
    ThreatlakeError,
    UnavailableError,
)

__all__ = [
    "STATUS",
    "describe",
    "error_response",
    "handle_error",
    "handle_http",
    "handle_unexpected",
    "plain_page",
    "respond",
    "status_of",
    "wants_page",
]

log = logging.getLogger("threatlake.web")

#: Most specific class first: the first ``isinstance`` match decides the status.
STATUS: tuple[tuple[type[ThreatlakeError], int], ...] = (
    (QueryTimeoutError, 504),
    (BodyTooLargeError, 413),
    (SizeLimitError, 413),
    (MediaTypeError, 415),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ResultGoneError, 410),
    (RequestError, 400),
    (SourceError, 400),
    (QueryError, 400),
    (ConfigError, 400),
    (ScopeError, 403),
    (AuthError, 401),
    (OverloadedError, 429),
    (UnavailableError, 503),
)


def status_of(error: ThreatlakeError) -> int:
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    if isinstance(error, StoreError):
        return 503 if error.retryable else 500
    return 500


def _details(error: ThreatlakeError) -> dict[str, Any]:
    if isinstance(error, QueryError):
        details: dict[str, Any] = {"errorType": "QUERY_ERROR", "line": error.line, "column": error.column}
        if error.text:
            details["text"] = error.text
        return details
    if isinstance(error, QueryTimeoutError):
        return {"errorType": "QUERY_TIMEOUT"}
    if isinstance(error, ResultGoneError):
        return {"errorType": "RESULT_GONE", **error.details}
    if isinstance(error, RequestError):
        return dict(error.details)
    if isinstance(error, SourceError):
        found = {"location": error.location, "offset": error.offset}
        return {key: value for key, value in found.items() if value not in ("", None)}
    if isinstance(error, ScopeError):
        return {}
    return {}


def error_response(status: int, message: str, details: dict[str, Any] | None = None) -> Response:
    """The JSON error shape."""
    body = {"error": {"code": status, "message": message, "details": details or {}}}
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Api-Token realm="threatlake"'
    return Response(_dumps(body), status, headers, media_type="application/json")


def _quality(accept: str, wanted: str) -> float:
    """The q of the most specific ``Accept`` range that matches the media type ``wanted``."""
    kind = wanted.split("/", 1)[0]
    best, specificity = 0.0, -1
    for part in accept.split(",")[:50]:
        media, *params = (piece.strip() for piece in part.split(";"))
        rank = 2 if media == wanted else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        if rank < specificity or rank < 0:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best, specificity = q, rank
    return best


def wants_page(request: Request) -> bool:
    """Whether an error should be an HTML page: a page request whose client prefers HTML to JSON."""
    if request.url.path.startswith("/platform"):
        return False
    accept = request.headers.get("accept", "")
    return _quality(accept, "text/html") > _quality(accept, "application/json")


def plain_page(request: Request, status: int, message: str) -> Response:
    """The built-in error page (the UI replaces it with its own, ``Services.error_page``)."""
    text = html.escape(message)
    body = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} · Threatlake</title>"
        f"<h1>{status}</h1><p>{text}</p><p><a href=/>Threatlake</a></p></html>"
    )
    return HTMLResponse(body, status)


def respond(request: Request, status: int, message: str, details: dict[str, Any] | None = None) -> Response:
    """The error as the client wants it: an HTML page for a page request, else the JSON shape."""
    if wants_page(request):
        page = getattr(request.app.state, "services", None)
        render = page.error_page if page is not None else plain_page
        return render(request, status, message)
    return error_response(status, message, details)


def _dumps(body: dict[str, Any]) -> bytes:
    """JSON of an error body. Messages quote the client's input, which may hold lone surrogates that orjson
    refuses: the standard library escapes them (``\\udXXX``), so the error still reaches the client."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, default=str).encode()


def describe(exc: ThreatlakeError) -> tuple[int, str, dict[str, Any]]:
    """The status, the message a client may see and the details of an error."""
    status = status_of(exc)
    message = (
        exc.message if status < 500 or isinstance(exc, UnavailableError | StoreError) else "Internal error"
    )
    return status, message, _details(exc)


async def handle_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ThreatlakeError)
    status, message, details = describe(exc)
    response = respond(request, status, message, details)
    if isinstance(exc, UnavailableError):
        response.headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, StoreError) and exc.retryable:  # e.g. the settings database is locked a moment
        response.headers["Retry-After"] = "1"
    if status >= 500 and not isinstance(exc, UnavailableError | QueryTimeoutError):
        log.error("error serving %s %s: %s", request.method, request.url.path, exc)
    return response


async def handle_http(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method) in the same shape."""
    assert isinstance(exc, HTTPException)
    response = respond(request, exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    return respond(request, 500, "Internal error")
