"""The browser side of sessions: the signed-in viewer, the session cookie, CSRF and sign-in throttling.

A session (``state.sessions``) is a random 256-bit secret in an HttpOnly, SameSite=Lax cookie; the server
keeps only its hash, its user and its CSRF secret, and ends it after ``platform.SESSION_TTL``. Every unsafe
request must carry the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``), compared in
constant time.
"""

from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "Throttle",
    "Viewer",
    "csrf_matches",
    "set_cookie",
]

COOKIE = "tl_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person: name, role and its scopes, and the CSRF token the pages put in every form."""

    name: str
    role: str
    scopes: tuple[str, ...]
    csrf: str
    session: str = field(repr=False, default="")

    @property
    def role_label(self) -> str:
        return (
            "administrator" if self.role == "admin" else "read-only" if self.role == "viewer" else self.role
        )

    def can(self, scope: str) -> bool:
        return scope in self.scopes


class Throttle:
    """Failed sign-ins per key (user name and client address): after ``limit`` failures within ``window``
    seconds, sign-in for that key is refused until the window has passed."""

    def __init__(self, *, limit: int = 5, window: float = 300.0, keys: int = 10_000) -> None:
        self._limit = limit
        self._window = window
        self._keys = keys
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            recent = [moment for moment in self._failures.get(key, []) if now - moment < self._window]
            if len(recent) < self._limit:
                return 0.0
            return max(0.0, self._window - (now - recent[-self._limit]))

    def fail(self, key: str, now: float) -> None:
        with self._lock:
            recent = [moment for moment in self._failures.pop(key, []) if now - moment < self._window]
            self._failures[key] = [*recent, now][-self._limit :]
            while len(self._failures) > self._keys:
                self._failures.popitem(last=False)

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
