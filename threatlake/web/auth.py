"""Token authentication: ``Authorization: Api-Token <token>`` (or ``Bearer <token>``) and scopes.

Every ``/platform/...`` handler starts with ``authorize(request, scope)``. The token is looked up on each
request, so a token revoked from the command line stops working at once, even while the service runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request

from threatlake.errors import AuthError, ScopeError
from threatlake.state.tokens import TokenRecord
from threatlake.web.services import services

__all__ = ["authorize", "token_text"]

_SCHEMES = ("api-token", "bearer")


def token_text(header: str | None) -> str:
    """The token of an ``Authorization`` header value; AuthError when it is missing or malformed."""
    if not header:
        raise AuthError("Missing Authorization header: send 'Authorization: Api-Token <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in _SCHEMES or not token.strip():
        raise AuthError("Malformed Authorization header: expected 'Api-Token <token>' or 'Bearer <token>'")
    return token.strip()


def authorize(request: Request, scope: str) -> TokenRecord:
    """The request's live token when it has ``scope``: AuthError (401) or ScopeError (403) otherwise."""
    token = services(request).state.tokens.authenticate(
        token_text(request.headers.get("authorization")), now=datetime.now(UTC)
    )
    if token is None:
        raise AuthError("Invalid or revoked token")
    request.state.connection = token.connection
    if scope not in token.scopes:
        raise ScopeError(f"The token lacks the scope {scope!r} this endpoint needs")
    return token
