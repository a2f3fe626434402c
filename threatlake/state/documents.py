"""Documents: dashboards and notebooks, as versioned JSON, with optimistic locking.

``DocumentRepository`` on SQLite and in memory. A document has an id (random), a type (``TYPES``), a
name, an owner (a user name), its content (JSON text, stored as sent so key order survives) and a version
that starts at 1 and grows by one with each update. ``update`` must name the version the caller read: when
someone else saved in between it raises ``ConflictError`` with the current version, and nothing changes.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import orjson

from threatlake.errors import ConflictError, NotFoundError, RequestError
from threatlake.state.database import Database, Row, iso

__all__ = [
    "MAX_CONTENT_BYTES",
    "TYPES",
    "DocumentRecord",
    "DocumentRepository",
    "MemoryDocuments",
    "SqliteDocuments",
]

TYPES: tuple[str, ...] = ("dashboard", "notebook")
MAX_CONTENT_BYTES = 2 * 1024 * 1024

_SCHEMA = """
create table if not exists documents (
    id text primary key, type text not null, name text not null, owner text not null,
    version integer not null, content text not null, created text not null, modified text not null);
create index if not exists documents_by_type on documents (type, name);
"""
_COLUMNS = "id, type, name, owner, version, content, created, modified"


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: str
    type: str
    name: str
    owner: str
    version: int
    content: str
    created: str
    modified: str

    def as_dict(self, *, content: bool = True) -> dict[str, object]:
        found: dict[str, object] = {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "owner": self.owner,
            "version": self.version,
            "created": self.created,
            "modified": self.modified,
        }
        if content:
            found["content"] = orjson.loads(self.content)
        return found


class DocumentRepository(Protocol):
    def create(self, type: str, name: str, owner: str, content: str, *, now: datetime) -> DocumentRecord: ...

    def get(self, document_id: str) -> DocumentRecord:
        """NotFoundError for an unknown id."""
        ...

    def list(self, type: str | None = None, owner: str | None = None) -> list[DocumentRecord]:
        """By type, then name; ``type``/``owner`` narrow it."""
        ...

    def update(
        self,
        document_id: str,
        version: int,
        *,
        now: datetime,
        name: str | None = None,
        content: str | None = None,
    ) -> DocumentRecord:
        """The document at ``version + 1``; ConflictError when ``version`` is not the current one."""
        ...

    def delete(self, document_id: str, version: int | None = None) -> None:
        """Delete (only at ``version`` when given: ConflictError otherwise)."""
        ...


def _check_type(kind: str) -> None:
    if kind not in TYPES:
        raise RequestError(f"unknown document type {kind!r}; valid: {', '.join(TYPES)}", {"field": "type"})


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > 200:
        raise RequestError("a document name has 1 to 200 characters", {"field": "name"})


def _check_content(content: str) -> None:
    if len(content.encode()) > MAX_CONTENT_BYTES:
        raise RequestError(f"a document's content is at most {MAX_CONTENT_BYTES} bytes", {"field": "content"})
    try:
        orjson.loads(content)
    except orjson.JSONDecodeError as error:
        raise RequestError(f"a document's content must be JSON: {error}", {"field": "content"}) from None


def _not_found(document_id: str) -> NotFoundError:
    return NotFoundError(f"no document with id {document_id!r}", {"id": document_id})


def _conflict(record: DocumentRecord, version: int) -> ConflictError:
    return ConflictError(
        f"document {record.id!r} is at version {record.version}, not {version}: someone saved it meanwhile;"
        " reload and apply the change again",
        {"id": record.id, "version": record.version},
    )


def _new(kind: str, name: str, owner: str, content: str, now: datetime) -> DocumentRecord:
    _check_type(kind)
    _check_name(name)
    _check_content(content)
    return DocumentRecord(secrets.token_hex(12), kind, name, owner, 1, content, iso(now), iso(now))


def _updated(
    record: DocumentRecord, version: int, now: datetime, name: str | None, content: str | None
) -> DocumentRecord:
    if record.version != version:
        raise _conflict(record, version)
    if name is not None:
        _check_name(name)
    if content is not None:
        _check_content(content)
    return replace(
        record,
        name=record.name if name is None else name,
        content=record.content if content is None else content,
        version=version + 1,
        modified=iso(now),
    )


class SqliteDocuments:
    """``DocumentRepository`` in the ``documents`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def create(self, type: str, name: str, owner: str, content: str, *, now: datetime) -> DocumentRecord:
        record = _new(type, name, owner, content, now)
        self._db.execute(
            f"insert into documents ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?)",
            (record.id, record.type, record.name, record.owner, record.version, record.content,
             record.created, record.modified),
        )  # fmt: skip
        return record

    def get(self, document_id: str) -> DocumentRecord:
        row = self._db.one(f"select {_COLUMNS} from documents where id = ?", (document_id,))
        if row is None:
            raise _not_found(document_id)
        return _record(row)

    def list(self, type: str | None = None, owner: str | None = None) -> list[DocumentRecord]:
        where = [(column, value) for column, value in (("type", type), ("owner", owner)) if value is not None]
        clause = (" where " + " and ".join(f"{column} = ?" for column, _ in where)) if where else ""
        rows = self._db.execute(
            f"select {_COLUMNS} from documents{clause} order by type, name, id", [v for _, v in where]
        )
        return [_record(row) for row in rows]

    def update(
        self,
        document_id: str,
        version: int,
        *,
        now: datetime,
        name: str | None = None,
        content: str | None = None,
    ) -> DocumentRecord:
        with self._db.transaction():
            record = _updated(self.get(document_id), version, now, name, content)
            self._db.execute(
                "update documents set name = ?, content = ?, version = ?, modified = ?"
                " where id = ? and version = ?",
                (record.name, record.content, record.version, record.modified, document_id, version),
            )
        return record

    def delete(self, document_id: str, version: int | None = None) -> None:
        with self._db.transaction():
            record = self.get(document_id)
            if version is not None and record.version != version:
                raise _conflict(record, version)
            self._db.execute("delete from documents where id = ?", (document_id,))


def _record(row: Row) -> DocumentRecord:
    return DocumentRecord(*row)


class MemoryDocuments:
    """``DocumentRepository`` in a dict (tests)."""

    def __init__(self) -> None:
        self._items: dict[str, DocumentRecord] = {}
        self._lock = threading.Lock()

    def create(self, type: str, name: str, owner: str, content: str, *, now: datetime) -> DocumentRecord:
        record = _new(type, name, owner, content, now)
        with self._lock:
            self._items[record.id] = record
        return record

    def get(self, document_id: str) -> DocumentRecord:
        found = self._items.get(document_id)
        if found is None:
            raise _not_found(document_id)
        return found

    def list(self, type: str | None = None, owner: str | None = None) -> list[DocumentRecord]:
        found = [
            item
            for item in self._items.values()
            if (type is None or item.type == type) and (owner is None or item.owner == owner)
        ]
        return sorted(found, key=lambda item: (item.type, item.name, item.id))

    def update(
        self,
        document_id: str,
        version: int,
        *,
        now: datetime,
        name: str | None = None,
        content: str | None = None,
    ) -> DocumentRecord:
        with self._lock:
            record = _updated(self.get(document_id), version, now, name, content)
            self._items[document_id] = record
        return record

    def delete(self, document_id: str, version: int | None = None) -> None:
        with self._lock:
            record = self.get(document_id)
            if version is not None and record.version != version:
                raise _conflict(record, version)
            del self._items[document_id]
