"""Credentials of outbound actions (Jira, Slack, Microsoft Teams, SMTP, HTTP), encrypted at rest.

``CredentialRepository`` on SQLite and in memory. A credential has a name, a type from ``TYPES`` (which
names the secret fields it needs and may have) and a secret: a mapping of those fields to strings. The
secret is encrypted with AES-256-GCM (``cryptography``) under a key that ``Cipher.for_dir`` keeps in
``<data-dir>/credentials.key`` (created with mode 0600) unless the ``credentials_key`` setting gives one;
the credential's name and type are bound to the ciphertext as associated data, so a ciphertext copied to
another row does not decrypt. ``get`` and ``list`` return metadata only (names of the fields, never their
values); the one way to a secret is ``decrypt``, which actions call when they run.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from threatlake.errors import ConfigError, ConflictError, NotFoundError, RequestError, StoreError
from threatlake.state.database import Database, Row, iso

__all__ = [
    "KEY_FILE",
    "TYPES",
    "Cipher",
    "CredentialRecord",
    "CredentialRepository",
    "CredentialType",
    "MemoryCredentials",
    "SqliteCredentials",
]

KEY_FILE = "credentials.key"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_MAX_VALUE = 16 * 1024


@dataclass(frozen=True, slots=True)
class CredentialType:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


#: type -> the secret fields it needs and may have. A new type of action credential is one line here.
TYPES: dict[str, CredentialType] = {
    "jira": CredentialType(("url", "email", "apiToken")),
    "slack": CredentialType(("webhookUrl",), ("token",)),
    "msteams": CredentialType(("webhookUrl",)),
    "smtp": CredentialType(("host", "port", "sender"), ("username", "password", "tls")),
    "http": CredentialType(("url",), ("authorization", "username", "password")),
}


@dataclass(frozen=True, slots=True)
class CredentialRecord:
    """A credential's metadata: its secret's field names, never their values."""

    name: str
    type: str
    fields: tuple[str, ...]
    created: str
    modified: str

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.type,
            "fields": list(self.fields),
            "created": self.created,
            "modified": self.modified,
        }


class CredentialRepository(Protocol):
    def create(self, name: str, type: str, secret: Mapping[str, str], *, now: datetime) -> CredentialRecord:
        """RequestError for a bad name, type or secret; ConflictError when the name is taken."""
        ...

    def replace(self, name: str, secret: Mapping[str, str], *, now: datetime) -> CredentialRecord:
        """A new secret for an existing credential (same type)."""
        ...

    def get(self, name: str) -> CredentialRecord: ...

    def list(self) -> list[CredentialRecord]: ...

    def delete(self, name: str) -> None: ...

    def decrypt(self, name: str) -> dict[str, str]:
        """The secret itself: for actions about to use it, never for display."""
        ...


class Cipher:
    """AES-256-GCM with one key; ``associated`` data is authenticated, not encrypted."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigError("a credentials key is 32 bytes (base64url-encoded in the setting or file)")
        self._aead = AESGCM(key)

    @classmethod
    def from_text(cls, text: str) -> Cipher:
        try:
            return cls(base64.urlsafe_b64decode(text.strip().encode()))
        except ValueError:
            raise ConfigError("the credentials key is not base64url text") from None

    @classmethod
    def for_dir(cls, data_dir: Path | str, key_text: str = "") -> Cipher:
        """The key of the setting, else of ``<data_dir>/credentials.key`` (made, mode 0600, when missing)."""
        if key_text:
            return cls.from_text(key_text)
        path = Path(data_dir) / KEY_FILE
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        return cls.from_text(path.read_text())

    def seal(self, plain: bytes, associated: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, plain, associated)

    def open(self, sealed: bytes, associated: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], associated)
        except InvalidTag:
            raise StoreError("a credential does not decrypt: wrong key, or the record was altered") from None


def _check(name: str, kind: str, secret: Mapping[str, str]) -> tuple[str, ...]:
    if not _NAME.fullmatch(name):
        raise RequestError(
            "a credential name has 1 to 100 letters, digits, '.', '_' or '-'", {"field": "name"}
        )
    spec = TYPES.get(kind)
    if spec is None:
        raise RequestError(f"unknown credential type {kind!r}; valid: {', '.join(TYPES)}", {"field": "type"})
    missing = [field for field in spec.required if not secret.get(field)]
    unknown = [field for field in secret if field not in spec.required + spec.optional]
    if missing or unknown:
        problem = f"missing {', '.join(missing)}" if missing else f"unknown field {unknown[0]!r}"
        raise RequestError(
            f"a {kind} credential needs {', '.join(spec.required)}"
            + (f" (may have {', '.join(spec.optional)})" if spec.optional else "")
            + f": {problem}",
            {"field": "secret", "required": list(spec.required), "optional": list(spec.optional)},
        )
    for field, value in secret.items():
        if not isinstance(value, str) or len(value) > _MAX_VALUE:
            raise RequestError(f"secret field {field!r} must be a string of at most {_MAX_VALUE} characters",
                               {"field": f"secret.{field}"})  # fmt: skip
    return tuple(sorted(secret))


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(f"no credential named {name!r}", {"name": name})


def _associated(name: str, kind: str) -> bytes:
    return f"threatlake credential\0{name}\0{kind}".encode()


_SCHEMA = """
create table if not exists credentials (
    name text primary key, type text not null, fields text not null, secret blob not null,
    created text not null, modified text not null);
"""
_SELECT = "select name, type, fields, created, modified from credentials"


class SqliteCredentials:
    """``CredentialRepository`` in the ``credentials`` table, secrets sealed by ``cipher``."""

    def __init__(self, db: Database, cipher: Callable[[], Cipher]) -> None:
        self._db = db
        self._cipher = cipher  # called on first use: the key file is made only when a secret is kept
        db.create(_SCHEMA)

    def _seal(self, name: str, kind: str, secret: Mapping[str, str]) -> bytes:
        return self._cipher().seal(orjson.dumps(dict(secret)), _associated(name, kind))

    def create(self, name: str, type: str, secret: Mapping[str, str], *, now: datetime) -> CredentialRecord:
        fields = _check(name, type, secret)
        sealed = self._seal(name, type, secret)
        with self._db.transaction():
            if self._db.one("select 1 from credentials where name = ?", (name,)):
                raise ConflictError(f"a credential named {name!r} exists", {"name": name})
            self._db.execute(
                "insert into credentials (name, type, fields, secret, created, modified)"
                " values (?, ?, ?, ?, ?, ?)",
                (name, type, " ".join(fields), sealed, iso(now), iso(now)),
            )
        return self.get(name)

    def replace(self, name: str, secret: Mapping[str, str], *, now: datetime) -> CredentialRecord:
        record = self.get(name)
        fields = _check(name, record.type, secret)
        self._db.execute(
            "update credentials set fields = ?, secret = ?, modified = ? where name = ?",
            (" ".join(fields), self._seal(name, record.type, secret), iso(now), name),
        )
        return self.get(name)

    def get(self, name: str) -> CredentialRecord:
        row = self._db.one(f"{_SELECT} where name = ?", (name,))
        if row is None:
            raise _not_found(name)
        return _record(row)

    def list(self) -> list[CredentialRecord]:
        return [_record(row) for row in self._db.execute(f"{_SELECT} order by name")]

    def delete(self, name: str) -> None:
        self.get(name)
        self._db.execute("delete from credentials where name = ?", (name,))

    def decrypt(self, name: str) -> dict[str, str]:
        row = self._db.one("select type, secret from credentials where name = ?", (name,))
        if row is None:
            raise _not_found(name)
        secret: dict[str, str] = orjson.loads(self._cipher().open(row[1], _associated(name, row[0])))
        return secret


def _record(row: Row) -> CredentialRecord:
    name, kind, fields, created, modified = row
    return CredentialRecord(name, kind, tuple(fields.split()), created, modified)


class MemoryCredentials:
    """``CredentialRepository`` in a dict (tests); the secrets are kept sealed here too."""

    def __init__(self, cipher: Cipher | None = None) -> None:
        self._cipher = cipher or Cipher(secrets.token_bytes(32))
        self._items: dict[str, tuple[CredentialRecord, bytes]] = {}
        self._lock = threading.Lock()

    def create(self, name: str, type: str, secret: Mapping[str, str], *, now: datetime) -> CredentialRecord:
        fields = _check(name, type, secret)
        record = CredentialRecord(name, type, fields, iso(now), iso(now))
        sealed = self._cipher.seal(orjson.dumps(dict(secret)), _associated(name, type))
        with self._lock:
            if name in self._items:
                raise ConflictError(f"a credential named {name!r} exists", {"name": name})
            self._items[name] = (record, sealed)
        return record

    def replace(self, name: str, secret: Mapping[str, str], *, now: datetime) -> CredentialRecord:
        record = self.get(name)
        fields = _check(name, record.type, secret)
        updated = replace(record, fields=fields, modified=iso(now))
        sealed = self._cipher.seal(orjson.dumps(dict(secret)), _associated(name, record.type))
        with self._lock:
            self._items[name] = (updated, sealed)
        return updated

    def get(self, name: str) -> CredentialRecord:
        found = self._items.get(name)
        if found is None:
            raise _not_found(name)
        return found[0]

    def list(self) -> list[CredentialRecord]:
        return [item[0] for _, item in sorted(self._items.items())]

    def delete(self, name: str) -> None:
        self.get(name)
        with self._lock:
            self._items.pop(name, None)

    def decrypt(self, name: str) -> dict[str, str]:
        record = self.get(name)
        secret: dict[str, str] = orjson.loads(
            self._cipher.open(self._items[name][1], _associated(name, record.type))
        )
        return secret
