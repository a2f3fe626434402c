"""The one place that maps errors to HTTP: a ``ThreatlakeError`` becomes a status and ``{"error": {...}}``.

Handlers raise; this module decides the status. An unexpected exception is logged with its traceback and the
client gets a plain 500 without one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

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

__all__ = ["STATUS", "error_response", "handle_error", "handle_http", "handle_unexpected", "status_of"]

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
    body = {"error": {"code": status, "message": message, "details": details or {}}}
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Api-Token realm="threatlake"'
    return Response(_dumps(body), status, headers, media_type="application/json")


def _dumps(body: dict[str, Any]) -> bytes:
    """JSON of an error body. Messages quote the client's input, which may hold lone surrogates that orjson
    refuses: the standard library escapes them (``\\udXXX``), so the error still reaches the client."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, default=str).encode()


async def handle_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ThreatlakeError)
    status = status_of(exc)
    message = (
        exc.message if status < 500 or isinstance(exc, UnavailableError | StoreError) else "Internal error"
    )
    response = error_response(status, message, _details(exc))
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
    response = error_response(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    return error_response(500, "Internal error")
