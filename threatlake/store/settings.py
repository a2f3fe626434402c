"""The settings database: tokens, connections and users, in ``<data-dir>/settings.sqlite``.

SQLite in WAL mode, not DuckDB: DuckDB lets one process write a file, and administrative commands
(``threatlake token create``) must work while ``threatlake serve`` holds the event store. Tokens look like
``tl0c01.<public id>.<secret>``; only a salted SHA-256 of the 256-bit random secret is stored (a slow hash
adds nothing to a secret that cannot be guessed), and it is compared in constant time. Passwords, which can be
guessed, get a salted scrypt hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from threatlake.errors import ConflictError, NotFoundError, RequestError

__all__ = [
    "DEFAULT_CONNECTION",
    "FILE_NAME",
    "INTEGRATIONS",
    "SCOPES",
    "TOKEN_PREFIX",
    "ConnectionRecord",
    "Settings",
    "TokenRecord",
    "open_settings",
]

FILE_NAME = "settings.sqlite"
TOKEN_PREFIX = "tl0c01"
DEFAULT_CONNECTION = "default"
SCOPES: tuple[str, ...] = (
    "openpipeline.events_security",
    "openpipeline.events_security.custom",
    "storage:security.events:read",
    "settings:read",
    "settings:write",
    "document:documents:read",
    "document:documents:write",
    "document:documents:delete",
)
#: Integrations a connection can be made for (``threatlake connection create``, POST /platform/connections).
INTEGRATIONS: tuple[str, ...] = ("amazon-guardduty", "aws-security-hub")
INGEST_SCOPE = "openpipeline.events_security"
#: A connection name is also part of an AWS secret name and a CloudFormation stack name: kept shell-safe.
_CONNECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
_LAST_USED_EVERY = 60.0  # seconds: ``last_used`` is a hint, not worth a write per request

_SCHEMA = """
create table if not exists connections (
    name text primary key, integration text not null, created text not null);
create table if not exists tokens (
    id text primary key, name text not null, salt blob not null, hash blob not null, scopes text not null,
    connection text not null references connections(name), created text not null, last_used text,
    revoked text);
create table if not exists users (
    name text primary key, salt blob not null, hash blob not null, admin integer not null,
    created text not null);
"""
# Columns added to ``connections`` after its first release (``_migrate`` adds them to an older file).
_CONNECTION_COLUMNS = {
    "events_received": "integer not null default 0",
    "last_seen": "text",
    "deleted": "text",
}


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """A connection with its live tokens and its counters (kept by the service, see ``record_received``)."""

    name: str
    integration: str
    created: str
    tokens: tuple[str, ...] = ()
    events_received: int = 0
    last_seen: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "integration": self.integration,
            "created": self.created,
            "tokens": list(self.tokens),
            "eventsReceived": self.events_received,
            "lastSeen": self.last_seen,
        }


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

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "connection": self.connection,
            "created": self.created,
            "lastUsed": self.last_used,
            "revoked": self.revoked,
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _token_hash(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def _password_hash(salt: bytes, password: str) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


class Settings:
    """One SQLite database shared by the service and the command line (several processes, one file)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.created = self.path == ":memory:" or not Path(self.path).exists()
        self._conn = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._last_used: dict[str, float] = {}
        with self._lock:
            self._conn.execute("pragma journal_mode=wal")
            self._conn.execute("pragma synchronous=normal")
            self._conn.execute("pragma foreign_keys=on")
            self._conn.executescript(_SCHEMA)
            self._migrate()

    def _migrate(self) -> None:
        """Add the connection columns to a database made before they existed (one transaction, so two
        processes opening the same old file at once do not both add them)."""
        self._conn.execute("begin immediate")
        try:
            present = {row[1] for row in self._conn.execute("pragma table_info(connections)")}
            for column, declaration in _CONNECTION_COLUMNS.items():
                if column not in present:
                    self._conn.execute(f"alter table connections add column {column} {declaration}")
        except BaseException:
            self._conn.execute("rollback")
            raise
        self._conn.execute("commit")

    # -- connections -------------------------------------------------------------------------------------

    def ensure_connection(self, name: str, *, now: datetime, integration: str = "custom") -> None:
        if not name or len(name) > 100:
            raise RequestError("a connection needs a name of 1 to 100 characters", {"field": "connection"})
        with self._lock:
            self._conn.execute(
                "insert or ignore into connections (name, integration, created) values (?, ?, ?)",
                (name, integration, _iso(now)),
            )

    def list_connections(self) -> list[dict[str, str]]:
        with self._lock:
            rows = self._conn.execute("select name, integration, created from connections order by name")
            return [{"name": n, "integration": i, "created": c} for n, i, c in rows.fetchall()]

    def create_connection(
        self, name: str, integration: str, *, now: datetime
    ) -> tuple[ConnectionRecord, TokenRecord, str]:
        """A new integration connection and its ingest token (whose full text is shown once).

        RequestError for a bad name or an unknown integration, ConflictError when the name is taken (a
        deleted connection's name can be used again; its counters start from zero)."""
        if integration not in INTEGRATIONS:
            raise RequestError(
                f"unknown integration {integration!r}; valid: {', '.join(INTEGRATIONS)}",
                {"field": "integration", "valid": list(INTEGRATIONS)},
            )
        if not _CONNECTION_NAME.fullmatch(name):
            raise RequestError(
                "a connection name has 1 to 63 letters, digits, '.', '_' or '-' and starts with a letter"
                " or digit",
                {"field": "name"},
            )
        created = _iso(now)
        with self._lock:
            self._conn.execute("begin immediate")
            try:
                row = self._conn.execute("select deleted from connections where name = ?", (name,)).fetchone()
                if row is not None and row[0] is None:
                    raise ConflictError(f"a connection named {name!r} exists", {"name": name})
                self._conn.execute(
                    "insert into connections (name, integration, created) values (?, ?, ?)"
                    " on conflict (name) do update set integration = excluded.integration,"
                    " created = excluded.created, deleted = null, events_received = 0, last_seen = null",
                    (name, integration, created),
                )
            except BaseException:
                self._conn.execute("rollback")
                raise
            self._conn.execute("commit")
        record, token = self.create_token([INGEST_SCOPE], now=now, name=f"connection {name}", connection=name)
        return self.get_connection(name), record, token

    def get_connection(self, name: str) -> ConnectionRecord:
        found = [c for c in self.connections(name) if c.name == name]
        if not found:
            raise NotFoundError(f"no connection named {name!r}", {"name": name})
        return found[0]

    def connections(self, name: str | None = None) -> list[ConnectionRecord]:
        """Live (not deleted) connections, by name, with their live token ids and counters."""
        where = "c.deleted is null" + (" and c.name = ?" if name is not None else "")
        with self._lock:
            rows = self._conn.execute(
                "select c.name, c.integration, c.created, c.events_received, c.last_seen,"
                " (select group_concat(t.id, ' ') from (select id from tokens where connection = c.name"
                "  and revoked is null order by created, id) t)"
                f" from connections c where {where} order by c.name",
                (name,) if name is not None else (),
            ).fetchall()
        return [
            ConnectionRecord(n, i, c, tuple((tokens or "").split()), received, last_seen)
            for n, i, c, received, last_seen, tokens in rows
        ]

    def delete_connection(self, name: str, *, now: datetime) -> ConnectionRecord:
        """Delete an integration connection and revoke its tokens; its stored events stay.

        NotFoundError for an unknown name; RequestError for a connection that no integration made (such as
        ``default``: revoke its tokens one by one with ``token revoke``)."""
        record = self.get_connection(name)
        if record.integration not in INTEGRATIONS:
            raise RequestError(
                f"connection {name!r} was not made for an integration ({record.integration}); revoke its"
                " tokens with 'threatlake token revoke' instead",
                {"name": name},
            )
        with self._lock:
            self._conn.execute("begin immediate")
            try:
                self._conn.execute(
                    "update tokens set revoked = coalesce(revoked, ?) where connection = ?", (_iso(now), name)
                )
                self._conn.execute("update connections set deleted = ? where name = ?", (_iso(now), name))
            except BaseException:
                self._conn.execute("rollback")
                raise
            self._conn.execute("commit")
        return record

    def record_received(self, counts: Mapping[str, tuple[int, datetime]]) -> None:
        """Add durably written events to connections' counters: name -> (events, time of the latest write).

        One transaction; unknown names are ignored. The service calls it, batched (web/api/connections.py)."""
        rows = [(count, _iso(seen), name) for name, (count, seen) in counts.items() if count]
        if not rows:
            return
        with self._lock:
            self._conn.execute("begin immediate")
            try:
                self._conn.executemany(
                    "update connections set events_received = events_received + ?,"
                    " last_seen = max(coalesce(last_seen, ''), ?) where name = ?",
                    rows,
                )
            except BaseException:
                self._conn.execute("rollback")
                raise
            self._conn.execute("commit")

    # -- tokens ------------------------------------------------------------------------------------------

    def create_token(
        self,
        scopes: list[str] | tuple[str, ...],
        *,
        now: datetime,
        name: str = "",
        connection: str = DEFAULT_CONNECTION,
    ) -> tuple[TokenRecord, str]:
        """A new token and its full text, which is shown once and never stored."""
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown or not scopes:
            raise RequestError(
                f"unknown or missing scope {unknown[0] if unknown else ''!r}; known: {', '.join(SCOPES)}",
                {"field": "scopes"},
            )
        self.ensure_connection(connection, now=now)
        public_id = secrets.token_hex(12)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        record = TokenRecord(
            public_id, name or f"token-{public_id[:6]}", tuple(dict.fromkeys(scopes)), connection, _iso(now)
        )
        with self._lock:
            self._conn.execute(
                "insert into tokens (id, name, salt, hash, scopes, connection, created)"
                " values (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.name,
                    salt,
                    _token_hash(salt, secret),
                    " ".join(record.scopes),
                    connection,
                    record.created,
                ),
            )
        return record, f"{TOKEN_PREFIX}.{public_id}.{secret}"

    def authenticate(self, token: str, *, now: datetime, monotonic: float = 0.0) -> TokenRecord | None:
        """The live token ``token`` names, or None (malformed, unknown, wrong secret or revoked)."""
        prefix, _, rest = token.partition(".")
        public_id, _, secret = rest.partition(".")
        if prefix != TOKEN_PREFIX or not public_id or not secret or len(token) > 200:
            return None
        with self._lock:
            row = self._conn.execute(
                "select salt, hash, revoked from tokens where id = ?", (public_id,)
            ).fetchone()
        if row is None:
            _token_hash(b"\0" * 16, secret)  # same work whether or not the id exists
            return None
        salt, stored, revoked = row
        if not hmac.compare_digest(_token_hash(salt, secret), stored) or revoked:
            return None
        if monotonic - self._last_used.get(public_id, -_LAST_USED_EVERY) >= _LAST_USED_EVERY:
            self._last_used[public_id] = monotonic
            with self._lock:
                self._conn.execute("update tokens set last_used = ? where id = ?", (_iso(now), public_id))
        return self.get_token(public_id)

    def get_token(self, token_id: str) -> TokenRecord:
        with self._lock:
            row = self._conn.execute(
                "select id, name, scopes, connection, created, last_used, revoked from tokens where id = ?",
                (token_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no token with id {token_id!r}", {"id": token_id})
        return _record(row)

    def list_tokens(self) -> list[TokenRecord]:
        with self._lock:
            rows = self._conn.execute(
                "select id, name, scopes, connection, created, last_used, revoked from tokens"
                " order by created, id"
            ).fetchall()
        return [_record(row) for row in rows]

    def revoke_token(self, token_id: str, *, now: datetime) -> TokenRecord:
        """Revoke a token (revoking twice keeps the first time); NotFoundError for an unknown id."""
        with self._lock:
            self._conn.execute(
                "update tokens set revoked = coalesce(revoked, ?) where id = ?", (_iso(now), token_id)
            )
        return self.get_token(token_id)

    # -- users -------------------------------------------------------------------------------------------

    def create_user(self, name: str, password: str, *, now: datetime, admin: bool = False) -> None:
        salt = secrets.token_bytes(16)
        with self._lock:
            self._conn.execute(
                "insert into users (name, salt, hash, admin, created) values (?, ?, ?, ?, ?)",
                (name, salt, _password_hash(salt, password), int(admin), _iso(now)),
            )

    def verify_user(self, name: str, password: str) -> bool:
        with self._lock:
            row = self._conn.execute("select salt, hash from users where name = ?", (name,)).fetchone()
        if row is None:
            _password_hash(b"\0" * 16, password)
            return False
        return hmac.compare_digest(_password_hash(row[0], password), row[1])

    def has_users(self) -> bool:
        with self._lock:
            return self._conn.execute("select 1 from users limit 1").fetchone() is not None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _record(row: tuple[str, str, str, str, str, str | None, str | None]) -> TokenRecord:
    token_id, name, scopes, connection, created, last_used, revoked = row
    return TokenRecord(token_id, name, tuple(scopes.split()), connection, created, last_used, revoked)


def open_settings(data_dir: Path | str) -> Settings:
    """The settings database of a data directory (created, with its directory, when missing)."""
    directory = Path(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return Settings(directory / FILE_NAME)
