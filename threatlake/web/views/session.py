"""Browser sessions: the signed-in viewer, the session cookie, CSRF and failed-sign-in throttling.

A session is a random 256-bit id in an HttpOnly, SameSite=Lax cookie; the server keeps (user, admin flag,
CSRF secret, last use) per id and forgets a session idle for ``IDLE`` seconds. Every unsafe request must
carry the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``), compared in constant time.

The sessions live in this process (a restart signs everyone out) until the state repositories of the
service core take them over; this module is the one place to switch.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from threatlake.store.settings import SCOPES

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "IDLE",
    "READ_SCOPES",
    "Sessions",
    "Throttle",
    "Viewer",
    "csrf_matches",
    "set_cookie",
]

COOKIE = "tl_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
IDLE = 12 * 3600.0
_MAX_SESSIONS = 10_000
#: What a user who is not an administrator may do: see everything, change nothing.
READ_SCOPES: tuple[str, ...] = ("storage:security.events:read", "settings:read")


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in person: name, role and scopes, and the CSRF token the pages put in every form."""

    name: str
    admin: bool
    csrf: str
    session: str = field(repr=False, default="")

    @property
    def scopes(self) -> tuple[str, ...]:
        return SCOPES if self.admin else READ_SCOPES

    @property
    def role(self) -> str:
        return "administrator" if self.admin else "read-only"

    def can(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(slots=True)
class _Session:
    name: str
    admin: bool
    csrf: str
    last_used: float


class Sessions:
    """Live sessions by id, the least recently used dropped first when there are too many."""

    def __init__(self, *, idle: float = IDLE, limit: int = _MAX_SESSIONS) -> None:
        self._idle = idle
        self._limit = limit
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def create(self, name: str, admin: bool, now: float) -> Viewer:
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session_id] = _Session(name, admin, csrf, now)
            while len(self._sessions) > self._limit:
                self._sessions.popitem(last=False)
        return Viewer(name, admin, csrf, session_id)

    def get(self, session_id: str, now: float) -> Viewer | None:
        with self._lock:
            found = self._sessions.get(session_id)
            if found is None:
                return None
            if now - found.last_used > self._idle:
                del self._sessions[session_id]
                return None
            found.last_used = now
            self._sessions.move_to_end(session_id)
            return Viewer(found.name, found.admin, found.csrf, session_id)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def delete_user(self, name: str) -> None:
        """Sign a user out everywhere (their password changed or they were removed)."""
        with self._lock:
            for session_id in [key for key, value in self._sessions.items() if value.name == name]:
                del self._sessions[session_id]


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
