"""API tokens: ``TokenRepository``, on SQLite (``SqliteTokens``) and in memory (``MemoryTokens``).

Tokens look like ``tl0c01.<public id>.<secret>``; only a salted SHA-256 of the 256-bit random secret is
stored (a slow hash adds nothing to a secret that cannot be guessed), and it is compared in constant time.
A token may expire (``expires``); an expired or revoked token authenticates as nothing. A token that
ingests (``INGEST_SCOPES``) belongs to a connection (``dt.ingest.connection`` of what it ingests): the caller
makes sure the connection exists (``threatlake.service.access.create_token`` does, in one transaction). Any
other token belongs to none (``TokenRecord.owner`` is None); its row names ``default`` only because the
column is required.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from threatlake.errors import NotFoundError, RequestError
from threatlake.state.database import Database, Row, iso

__all__ = [
    "DEFAULT_CONNECTION",
    "INGEST_SCOPE",
    "INGEST_SCOPES",
    "SCOPES",
    "TOKEN_PREFIX",
    "MemoryTokens",
    "SqliteTokens",
    "TokenRecord",
    "TokenRepository",
]

TOKEN_PREFIX = "tl0c01"
DEFAULT_CONNECTION = "default"
INGEST_SCOPE = "openpipeline.events_security"
#: The scopes that send events: a token holding one belongs to a connection.
INGEST_SCOPES: tuple[str, ...] = (INGEST_SCOPE, "openpipeline.events_security.custom")
#: Every scope a token (or a user's role) can hold; the web layer's endpoint table uses only these.
SCOPES: tuple[str, ...] = (
    *INGEST_SCOPES,
    "storage:security.events:read",
    "storage:events:read",
    "storage:buckets:read",
    "storage:bucket-definitions:read",
    "settings:read",
    "settings:write",
    "automation:workflows:read",
    "automation:workflows:write",
    "automation:workflows:run",
    "document:documents:read",
    "document:documents:write",
    "document:documents:delete",
)
_LAST_USED_EVERY = timedelta(seconds=60)  # ``last_used`` is a hint, not worth a write per request
_MAX_TOKEN = 200

_SCHEMA = """
create table if not exists tokens (
    id text primary key, name text not null, salt blob not null, hash blob not null, scopes text not null,
    connection text not null references connections(name), created text not null, last_used text,
    revoked text);
"""
_COLUMNS = {"expires": "text"}  # added after the first release
_SELECT = "select id, name, scopes, connection, created, last_used, revoked, expires from tokens"


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A token as stored: everything but its secret."""

    id: str
    name: str
    scopes: tuple[str, ...]
    connection: str
    created: str
    last_used: str | None = None
    revoked: str | None = None
    expires: str | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked is None and (self.expires is None or iso(now) < self.expires)

    @property
    def ingests(self) -> bool:
        return any(scope in INGEST_SCOPES for scope in self.scopes)

    @property
    def owner(self) -> str | None:
        """The connection the token sends events for; None for a token that does not ingest."""
        return self.connection if self.ingests else None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "connection": self.owner,
            "created": self.created,
            "lastUsed": self.last_used,
            "revoked": self.revoked,
            "expires": self.expires,
        }


class TokenRepository(Protocol):
    def create(
        self,
        scopes: Sequence[str],
        *,
        now: datetime,
        name: str = "",
        connection: str = DEFAULT_CONNECTION,
        expires: datetime | None = None,
    ) -> tuple[TokenRecord, str]:
        """A new token and its full text, which is shown once and never stored."""
        ...

    def authenticate(self, token: str, *, now: datetime) -> TokenRecord | None:
        """The live token ``token`` names, or None (malformed, unknown, wrong secret, revoked, expired)."""
        ...

    def get(self, token_id: str) -> TokenRecord:
        """NotFoundError for an unknown id."""
        ...

    def list(self) -> list[TokenRecord]: ...

    def revoke(self, token_id: str, *, now: datetime) -> TokenRecord:
        """Revoke a token (revoking twice keeps the first time); NotFoundError for an unknown id."""
        ...

    def revoke_connection(self, connection: str, *, now: datetime) -> int:
        """Revoke every ingest token of ``connection``; returns how many were live."""
        ...


def _check(scopes: Sequence[str], name: str) -> tuple[str, ...]:
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise RequestError(
            f"unknown or missing scope {unknown[0] if unknown else ''!r}; known: {', '.join(SCOPES)}",
            {"field": "scopes"},
        )
    if len(name) > 100:
        raise RequestError("a token name has at most 100 characters", {"field": "name"})
    return tuple(dict.fromkeys(scopes))


def _hash(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def _parse(token: str) -> tuple[str, str] | None:
    prefix, _, rest = token.partition(".")
    public_id, _, secret = rest.partition(".")
    if prefix != TOKEN_PREFIX or not public_id or not secret or len(token) > _MAX_TOKEN:
        return None
    return public_id, secret


def _new(
    scopes: Sequence[str], now: datetime, name: str, connection: str, expires: datetime | None
) -> tuple[TokenRecord, str, bytes, bytes]:
    """A record, its full text, its salt and its hash."""
    checked = _check(scopes, name)
    public_id, secret, salt = secrets.token_hex(12), secrets.token_urlsafe(32), secrets.token_bytes(16)
    record = TokenRecord(
        public_id,
        name or f"token-{public_id[:6]}",
        checked,
        connection,
        iso(now),
        expires=iso(expires) if expires is not None else None,
    )
    return record, f"{TOKEN_PREFIX}.{public_id}.{secret}", salt, _hash(salt, secret)


def _verify(found: tuple[bytes, bytes] | None, secret: str) -> bool:
    if found is None:
        _hash(b"\0" * 16, secret)  # same work whether or not the id exists
        return False
    return hmac.compare_digest(_hash(found[0], secret), found[1])


def _not_found(token_id: str) -> NotFoundError:
    return NotFoundError(f"no token with id {token_id!r}", {"id": token_id})


class SqliteTokens:
    """``TokenRepository`` in the ``tokens`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._last_used: dict[str, datetime] = {}
        db.create(_SCHEMA)
        db.add_columns("tokens", _COLUMNS)

    def create(
        self,
        scopes: Sequence[str],
        *,
        now: datetime,
        name: str = "",
        connection: str = DEFAULT_CONNECTION,
        expires: datetime | None = None,
    ) -> tuple[TokenRecord, str]:
        record, text, salt, digest = _new(scopes, now, name, connection, expires)
        self._db.execute(
            "insert into tokens (id, name, salt, hash, scopes, connection, created, expires)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            (record.id, record.name, salt, digest, " ".join(record.scopes), connection, record.created,
             record.expires),
        )  # fmt: skip
        return record, text

    def authenticate(self, token: str, *, now: datetime) -> TokenRecord | None:
        parsed = _parse(token)
        if parsed is None:
            return None
        public_id, secret = parsed
        row = self._db.one("select salt, hash from tokens where id = ?", (public_id,))
        if not _verify((row[0], row[1]) if row else None, secret):
            return None
        record = self.get(public_id)
        if not record.live(now):
            return None
        if now - self._last_used.get(public_id, now - _LAST_USED_EVERY) >= _LAST_USED_EVERY:
            self._last_used[public_id] = now
            self._db.execute("update tokens set last_used = ? where id = ?", (iso(now), public_id))
            record = replace(record, last_used=iso(now))
        return record

    def get(self, token_id: str) -> TokenRecord:
        row = self._db.one(f"{_SELECT} where id = ?", (token_id,))
        if row is None:
            raise _not_found(token_id)
        return _record(row)

    def list(self) -> list[TokenRecord]:
        return [_record(row) for row in self._db.execute(f"{_SELECT} order by created, id")]

    def revoke(self, token_id: str, *, now: datetime) -> TokenRecord:
        self._db.execute(
            "update tokens set revoked = coalesce(revoked, ?) where id = ?", (iso(now), token_id)
        )
        return self.get(token_id)

    def revoke_connection(self, connection: str, *, now: datetime) -> int:
        with self._db.transaction():
            rows = self._db.execute(f"{_SELECT} where connection = ? and revoked is null", (connection,))
            live = [(iso(now), record.id) for record in map(_record, rows) if record.ingests]
            self._db.executemany("update tokens set revoked = ? where id = ?", live)
        return len(live)


def _record(row: Row) -> TokenRecord:
    token_id, name, scopes, connection, created, last_used, revoked, expires = row
    return TokenRecord(
        token_id, name, tuple(scopes.split()), connection, created, last_used, revoked, expires
    )


class MemoryTokens:
    """``TokenRepository`` in a dict (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[TokenRecord, bytes, bytes]] = {}
        self._lock = threading.Lock()

    def create(
        self,
        scopes: Sequence[str],
        *,
        now: datetime,
        name: str = "",
        connection: str = DEFAULT_CONNECTION,
        expires: datetime | None = None,
    ) -> tuple[TokenRecord, str]:
        record, text, salt, digest = _new(scopes, now, name, connection, expires)
        with self._lock:
            self._items[record.id] = (record, salt, digest)
        return record, text

    def authenticate(self, token: str, *, now: datetime) -> TokenRecord | None:
        parsed = _parse(token)
        if parsed is None:
            return None
        found = self._items.get(parsed[0])
        if not _verify((found[1], found[2]) if found else None, parsed[1]) or found is None:
            return None
        if not found[0].live(now):
            return None
        record = replace(found[0], last_used=iso(now))
        with self._lock:
            self._items[record.id] = (record, found[1], found[2])
        return record

    def get(self, token_id: str) -> TokenRecord:
        found = self._items.get(token_id)
        if found is None:
            raise _not_found(token_id)
        return found[0]

    def list(self) -> list[TokenRecord]:
        return sorted((item[0] for item in self._items.values()), key=lambda r: (r.created, r.id))

    def revoke(self, token_id: str, *, now: datetime) -> TokenRecord:
        with self._lock:
            record, salt, digest = self._items.get(token_id) or (None, b"", b"")
            if record is None:
                raise _not_found(token_id)
            if record.revoked is None:
                record = replace(record, revoked=iso(now))
                self._items[token_id] = (record, salt, digest)
        return record

    def revoke_connection(self, connection: str, *, now: datetime) -> int:
        live = [r.id for r in self.list() if r.owner == connection and r.revoked is None]
        for token_id in live:
            self.revoke(token_id, now=now)
        return len(live)
