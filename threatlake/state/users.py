"""Users of the web UI and their roles: ``UserRepository``, on SQLite and in memory.

Passwords, which can be guessed, get a salted scrypt hash (slow on purpose: the web layer calls ``verify``
off the event loop). A role names the scopes a signed-in user holds (``ROLES``): ``admin`` holds every
scope, ``viewer`` only the read scopes. A new role is one line in ``ROLES``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from threatlake.errors import ConflictError, NotFoundError, RequestError
from threatlake.state.database import Database, Row, iso
from threatlake.state.tokens import SCOPES

__all__ = ["ROLES", "MemoryUsers", "SqliteUsers", "UserRecord", "UserRepository"]

#: role -> the scopes a user with it holds.
ROLES: dict[str, tuple[str, ...]] = {
    "admin": SCOPES,
    "viewer": ("storage:security.events:read", "settings:read", "automation:workflows:read"),
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_MAX_PASSWORD = 1024  # scrypt's cost grows with the input: bounded

_SCHEMA = """
create table if not exists users (
    name text primary key, salt blob not null, hash blob not null, admin integer not null,
    created text not null);
"""
_COLUMNS = {"role": "text"}  # added after the first release; ``admin`` stays for older readers


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as stored: everything but the password hash."""

    name: str
    role: str
    created: str

    @property
    def scopes(self) -> tuple[str, ...]:
        return ROLES.get(self.role, ())

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role, "created": self.created}


class UserRepository(Protocol):
    def create(self, name: str, password: str, *, now: datetime, role: str = "viewer") -> UserRecord:
        """RequestError for a bad name, password or role; ConflictError when the name is taken."""
        ...

    def verify(self, name: str, password: str) -> UserRecord | None:
        """The user when ``password`` is theirs, else None (the same work either way)."""
        ...

    def get(self, name: str) -> UserRecord: ...

    def list(self) -> list[UserRecord]: ...

    def set_role(self, name: str, role: str) -> UserRecord: ...

    def set_password(self, name: str, password: str) -> None: ...

    def delete(self, name: str) -> None: ...

    def has_users(self) -> bool: ...


def password_hash(salt: bytes, password: str) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def _check(name: str, password: str | None, role: str) -> None:
    if not _NAME.fullmatch(name):
        raise RequestError(
            "a user name has 1 to 100 letters, digits, '.', '_', '@' or '-'", {"field": "name"}
        )
    if password is not None and not 1 <= len(password) <= _MAX_PASSWORD:
        raise RequestError(f"a password has 1 to {_MAX_PASSWORD} characters", {"field": "password"})
    if role not in ROLES:
        raise RequestError(f"unknown role {role!r}; valid: {', '.join(ROLES)}", {"field": "role"})


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"no user named {name!r}", {"name": name})


def _matches(found: tuple[bytes, bytes] | None, password: str) -> bool:
    if found is None or len(password) > _MAX_PASSWORD:
        password_hash(b"\0" * 16, password[:_MAX_PASSWORD])
        return False
    return hmac.compare_digest(password_hash(found[0], password), found[1])


class SqliteUsers:
    """``UserRepository`` in the ``users`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)
        if db.add_columns("users", _COLUMNS):
            db.execute("update users set role = case when admin = 1 then 'admin' else 'viewer' end")

    def create(self, name: str, password: str, *, now: datetime, role: str = "viewer") -> UserRecord:
        _check(name, password, role)
        salt = secrets.token_bytes(16)
        digest = password_hash(salt, password)
        with self._db.transaction():
            if self._db.one("select 1 from users where name = ?", (name,)):
                raise ConflictError(f"a user named {name!r} exists", {"name": name})
            self._db.execute(
                "insert into users (name, salt, hash, admin, created, role) values (?, ?, ?, ?, ?, ?)",
                (name, salt, digest, int(role == "admin"), iso(now), role),
            )
        return UserRecord(name, role, iso(now))

    def verify(self, name: str, password: str) -> UserRecord | None:
        row = self._db.one("select salt, hash from users where name = ?", (name,))
        if not _matches((row[0], row[1]) if row else None, password):
            return None
        return self.get(name)

    def get(self, name: str) -> UserRecord:
        row = self._db.one("select name, role, created from users where name = ?", (name,))
        if row is None:
            raise _not_found(name)
        return _record(row)

    def list(self) -> list[UserRecord]:
        return [
            _record(row) for row in self._db.execute("select name, role, created from users order by name")
        ]

    def set_role(self, name: str, role: str) -> UserRecord:
        _check(name, None, role)
        self.get(name)
        self._db.execute(
            "update users set role = ?, admin = ? where name = ?", (role, int(role == "admin"), name)
        )
        return self.get(name)

    def set_password(self, name: str, password: str) -> None:
        _check(name, password, "viewer")
        self.get(name)
        salt = secrets.token_bytes(16)
        self._db.execute(
            "update users set salt = ?, hash = ? where name = ?", (salt, password_hash(salt, password), name)
        )

    def delete(self, name: str) -> None:
        self.get(name)
        self._db.execute("delete from users where name = ?", (name,))

    def has_users(self) -> bool:
        return self._db.one("select 1 from users limit 1") is not None


def _record(row: Row) -> UserRecord:
    return UserRecord(row[0], row[1] or "viewer", row[2])


class MemoryUsers:
    """``UserRepository`` in a dict (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[UserRecord, bytes, bytes]] = {}
        self._lock = threading.Lock()

    def create(self, name: str, password: str, *, now: datetime, role: str = "viewer") -> UserRecord:
        _check(name, password, role)
        salt = secrets.token_bytes(16)
        record = UserRecord(name, role, iso(now))
        with self._lock:
            if name in self._items:
                raise ConflictError(f"a user named {name!r} exists", {"name": name})
            self._items[name] = (record, salt, password_hash(salt, password))
        return record

    def verify(self, name: str, password: str) -> UserRecord | None:
        found = self._items.get(name)
        if not _matches((found[1], found[2]) if found else None, password) or found is None:
            return None
        return found[0]

    def get(self, name: str) -> UserRecord:
        found = self._items.get(name)
        if found is None:
            raise _not_found(name)
        return found[0]

    def list(self) -> list[UserRecord]:
        return [item[0] for _, item in sorted(self._items.items())]

    def set_role(self, name: str, role: str) -> UserRecord:
        _check(name, None, role)
        record, salt, digest = self._items.get(name) or (None, b"", b"")
        if record is None:
            raise _not_found(name)
        self._items[name] = (replace(record, role=role), salt, digest)
        return self._items[name][0]

    def set_password(self, name: str, password: str) -> None:
        _check(name, password, "viewer")
        record = self.get(name)
        salt = secrets.token_bytes(16)
        self._items[name] = (record, salt, password_hash(salt, password))

    def delete(self, name: str) -> None:
        self.get(name)
        self._items.pop(name, None)

    def has_users(self) -> bool:
        return bool(self._items)
