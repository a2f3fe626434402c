"""Who is asking: a middleware that resolves an API token or a session cookie into a ``Principal``.

Every HTTP request passes through ``PrincipalMiddleware`` once. ``Authorization: Api-Token <token>`` (or
``Bearer <token>``) names a token; without one, the ``tl_session`` cookie names a browser session, whose
user's role gives the scopes (``threatlake.state.users.ROLES``). The lookups (SQLite) run off the event loop;
the token is looked up on each request, so a token revoked from the command line stops working at once.

The middleware only resolves: it never refuses. The endpoint table (``web/endpoints.py``) checks the scope
an endpoint declares with ``require``, which raises ``AuthError`` (401) when nobody could be resolved and
``ScopeError`` (403) when the principal lacks the scope. A state-changing request made with a session must
carry that session's CSRF token in the ``X-CSRF-Token`` header (pages may check the ``csrf`` form field
themselves); an API token needs none (a browser never sends one on its own).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from threatlake.errors import AuthError, NotFoundError, ScopeError, StoreError, ThreatlakeError
from threatlake.state import State
from threatlake.state.tokens import DEFAULT_CONNECTION
from threatlake.web.services import services

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Principal",
    "PrincipalMiddleware",
    "caller",
    "principal",
    "require",
    "token_text",
]

SESSION_COOKIE = "tl_session"
CSRF_HEADER = "x-csrf-token"
_SCHEMES = ("api-token", "bearer")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """A resolved caller: a token (``kind="token"``, named by its id) or a signed-in user (``"session"``)."""

    kind: str
    name: str
    scopes: tuple[str, ...]
    connection: str = DEFAULT_CONNECTION
    csrf: str = field(default="", repr=False)
    session: str = field(default="", repr=False)
    #: how people know the caller: a token's name (its id when it has none), a user's name
    label: str = ""

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def key(self) -> str:
        """One string per caller (per-caller limits, job owners): ``token:<id>`` or ``user:<name>``."""
        return f"{'token' if self.kind == 'token' else 'user'}:{self.name}"


@dataclass(frozen=True, slots=True)
class _Resolved:
    principal: Principal | None
    problem: str  # why nobody was resolved, for the 401
    #: the state could not be read (a locked settings database): raised where the principal is asked for,
    #: inside the app, so the one error handler answers it (503 + Retry-After), not a bare 500
    failure: ThreatlakeError | None = None


def token_text(header: str | None) -> str:
    """The token of an ``Authorization`` header value; AuthError when it is missing or malformed."""
    if not header:
        raise AuthError("Missing Authorization header: send 'Authorization: Api-Token <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in _SCHEMES or not token.strip():
        raise AuthError("Malformed Authorization header: expected 'Api-Token <token>' or 'Bearer <token>'")
    return token.strip()


def _resolve(state: State, header: str | None, cookie: str | None, now: datetime) -> _Resolved:
    """Blocking (SQLite): called off the event loop."""
    if header is not None or not cookie:
        try:
            text = token_text(header)
        except AuthError as error:
            return _Resolved(None, error.message)
        token = state.tokens.authenticate(text, now=now)
        if token is None:
            return _Resolved(None, "Invalid, expired or revoked token")
        label = token.name or token.id
        return _Resolved(Principal("token", token.id, token.scopes, token.connection, label=label), "")
    session = state.sessions.get(cookie, now=now)
    if session is None:
        return _Resolved(None, "The session has ended: sign in again")
    try:
        user = state.users.get(session.user)
    except NotFoundError:
        return _Resolved(None, "The session's user no longer exists")
    return _Resolved(Principal("session", user.name, user.scopes, csrf=session.csrf, session=session.id), "")


class PrincipalMiddleware:
    """ASGI middleware: ``scope["state"]["principal"]`` for every HTTP request that carries credentials."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            connection = HTTPConnection(scope)
            header = connection.headers.get("authorization")
            cookie = connection.cookies.get(SESSION_COOKIE)
            if header is not None or cookie:
                state = services(connection).state
                try:
                    resolved = await run_in_threadpool(_resolve, state, header, cookie, datetime.now(UTC))
                except StoreError as error:
                    resolved = _Resolved(None, "", error)
            else:
                resolved = _Resolved(None, "")
            scope.setdefault("state", {})["resolved"] = resolved
            if resolved.principal is not None:
                scope["state"]["connection"] = resolved.principal.connection  # for the access log
        await self.app(scope, receive, send)


def principal(request: HTTPConnection) -> Principal | None:
    """The request's principal, if its credentials resolved to one."""
    resolved: _Resolved | None = request.scope.get("state", {}).get("resolved")
    return resolved.principal if resolved is not None else None


def caller(request: HTTPConnection) -> Principal:
    """The principal of a request that passed its endpoint's scope check (AuthError if none)."""
    resolved: _Resolved | None = request.scope.get("state", {}).get("resolved")
    if resolved is not None and resolved.failure is not None:
        raise resolved.failure
    found = principal(request)
    if found is None:
        raise AuthError("Missing Authorization header: send 'Authorization: Api-Token <token>'")
    return found


def require(request: HTTPConnection, scope: str | tuple[str, ...]) -> Principal:
    """The request's principal when it holds ``scope`` (a tuple: any one of them): AuthError (401) or
    ScopeError (403) otherwise."""
    resolved: _Resolved | None = request.scope.get("state", {}).get("resolved")
    if resolved is not None and resolved.failure is not None:
        raise resolved.failure
    found = resolved.principal if resolved is not None else None
    if found is None:
        problem = resolved.problem if resolved is not None and resolved.problem else ""
        raise AuthError(problem or "Missing Authorization header: send 'Authorization: Api-Token <token>'")
    wanted = (scope,) if isinstance(scope, str) else scope
    if not any(found.can(one) for one in wanted):
        who = "token" if found.kind == "token" else f"user {found.name!r}"
        named = repr(scope) if isinstance(scope, str) else "one of " + ", ".join(map(repr, scope))
        raise ScopeError(f"The {who} lacks the scope {named} this endpoint needs")
    if found.kind == "session" and request.scope.get("method", "GET") not in _SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER) or ""
        if not given or not hmac.compare_digest(given.encode(), found.csrf.encode()):
            raise ScopeError("A change made with a session needs its CSRF token (header X-CSRF-Token)")
    return found
