"""Documents: dashboards and notebooks, as versioned JSON bytes, with optimistic locking.

A document is its metadata (id, type, name, owner, version, who created and last changed it, when) and its
content (the JSON bytes, stored as given so key order survives). The version starts at 1 and grows by one
with each change; every change names the version its writer last read, and another version means someone
saved meanwhile: ``ConflictError`` with the current version, and nothing changes. What a document may hold
is checked above this layer (``threatlake.documents.library``).

``SqliteDocuments`` is the ``documents`` table of the state database, so the service, the command line and
every other node of the state see the same documents. A data directory made by the release that kept
documents in their own ``documents.sqlite`` has them imported once, on open (the file is then renamed).
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from threatlake.errors import ConflictError, NotFoundError
from threatlake.state.database import Database, Row, iso

__all__ = ["LEGACY_FILE", "DocumentRecord", "DocumentRepository", "MemoryDocuments", "SqliteDocuments"]

#: Where an earlier release kept documents (imported once into the state database).
LEGACY_FILE = "documents.sqlite"
_SCHEMA = """
create table if not exists documents (
    id text primary key, type text not null, name text not null, owner text not null,
    version integer not null, content blob not null, created text not null, created_by text not null,
    modified text not null, modified_by text not null);
create index if not exists documents_by_type on documents (type, name);
"""
_COLUMNS = "id, type, name, owner, version, content, created, created_by, modified, modified_by"
_INSERT = f"insert into documents ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: str
    type: str
    name: str
    owner: str
    version: int
    content: bytes
    created: str
    created_by: str
    modified: str
    modified_by: str


class DocumentRepository(Protocol):
    def list(self, document_type: str | None = None) -> list[DocumentRecord]:
        """Every document (of ``document_type``), by name."""
        ...

    def get(self, document_id: str) -> DocumentRecord | None: ...

    def create(
        self,
        document_type: str,
        name: str,
        content: bytes,
        *,
        owner: str,
        now: datetime,
        document_id: str | None = None,
    ) -> DocumentRecord:
        """A new document at version 1; ConflictError when ``document_id`` is taken."""
        ...

    def update(
        self,
        document_id: str,
        version: int,
        *,
        by: str,
        now: datetime,
        name: str | None = None,
        content: bytes | None = None,
    ) -> DocumentRecord:
        """The document at ``version + 1``; NotFoundError, or ConflictError when ``version`` is stale."""
        ...

    def delete(self, document_id: str, version: int) -> None:
        """NotFoundError, or ConflictError when ``version`` is not current."""
        ...


def _new(
    document_type: str, name: str, content: bytes, owner: str, *, now: datetime, document_id: str | None
) -> DocumentRecord:
    at = iso(now)
    return DocumentRecord(
        document_id or str(uuid.uuid4()), document_type, name, owner, 1, content, at, owner, at, owner
    )


def _taken(document_id: str) -> ConflictError:
    return ConflictError(f"a document with id {document_id!r} exists", {"id": document_id})


def _current(found: DocumentRecord | None, document_id: str, version: int) -> DocumentRecord:
    if found is None:
        raise NotFoundError(f"no document {document_id[:100]!r}", {"id": document_id[:100]})
    if found.version != version:
        raise ConflictError(
            f"document {document_id!r} is at version {found.version}, not {version}: it was changed"
            " meanwhile; read it again and reapply your change",
            {"id": document_id, "version": found.version},
        )
    return found


def _changed(
    found: DocumentRecord, by: str, now: datetime, name: str | None, content: bytes | None
) -> DocumentRecord:
    return replace(
        found,
        name=found.name if name is None else name,
        content=found.content if content is None else content,
        version=found.version + 1,
        modified=iso(now),
        modified_by=by,
    )


def _record(row: Row) -> DocumentRecord:
    return DocumentRecord(row[0], row[1], row[2], row[3], int(row[4]), bytes(row[5]), *row[6:])


def _values(record: DocumentRecord) -> tuple[object, ...]:
    return (
        record.id, record.type, record.name, record.owner, record.version, record.content,
        record.created, record.created_by, record.modified, record.modified_by,
    )  # fmt: skip


class SqliteDocuments:
    """``DocumentRepository`` in the ``documents`` table of the state database."""

    def __init__(self, db: Database, *, legacy: Path | None = None) -> None:
        self._db = db
        db.create(_SCHEMA)
        # a settings file of the release whose (unused) documents table had neither column
        db.add_columns(
            "documents", {"created_by": "text not null default ''", "modified_by": "text not null default ''"}
        )
        if legacy is not None and legacy.exists():
            self._import(legacy)

    def _import(self, legacy: Path) -> None:
        """Copy an earlier release's ``documents.sqlite`` in (present ids are kept), then rename it."""
        try:
            with sqlite3.connect(f"file:{legacy}?mode=ro", uri=True) as old:
                rows = old.execute(f"select {_COLUMNS} from documents").fetchall()
        except sqlite3.Error:
            return  # not a documents file of ours: left where it is
        with self._db.transaction():
            for row in rows:
                record = _record(row)
                if self.get(record.id) is None:
                    self._db.execute(_INSERT, _values(record))
        legacy.rename(legacy.with_name(legacy.name + ".imported"))

    def list(self, document_type: str | None = None) -> list[DocumentRecord]:
        where, params = ("", ()) if document_type is None else (" where type = ?", (document_type,))
        rows = self._db.execute(f"select {_COLUMNS} from documents{where} order by lower(name), id", params)
        return [_record(row) for row in rows]

    def get(self, document_id: str) -> DocumentRecord | None:
        row = self._db.one(f"select {_COLUMNS} from documents where id = ?", (document_id,))
        return None if row is None else _record(row)

    def create(
        self,
        document_type: str,
        name: str,
        content: bytes,
        *,
        owner: str,
        now: datetime,
        document_id: str | None = None,
    ) -> DocumentRecord:
        record = _new(document_type, name, content, owner, now=now, document_id=document_id)
        with self._db.transaction():
            if self.get(record.id) is not None:
                raise _taken(record.id)
            self._db.execute(_INSERT, _values(record))
        return record

    def update(
        self,
        document_id: str,
        version: int,
        *,
        by: str,
        now: datetime,
        name: str | None = None,
        content: bytes | None = None,
    ) -> DocumentRecord:
        with self._db.transaction():
            record = _changed(_current(self.get(document_id), document_id, version), by, now, name, content)
            self._db.execute(
                "update documents set name = ?, content = ?, version = ?, modified = ?, modified_by = ?"
                " where id = ? and version = ?",
                (record.name, record.content, record.version, record.modified, by, document_id, version),
            )
        return record

    def delete(self, document_id: str, version: int) -> None:
        with self._db.transaction():
            _current(self.get(document_id), document_id, version)
            self._db.execute("delete from documents where id = ?", (document_id,))


class MemoryDocuments:
    """``DocumentRepository`` in a dict (tests, ``:memory:`` state)."""

    def __init__(self) -> None:
        self._items: dict[str, DocumentRecord] = {}
        self._lock = threading.Lock()

    def list(self, document_type: str | None = None) -> list[DocumentRecord]:
        found = [r for r in self._items.values() if document_type is None or r.type == document_type]
        return sorted(found, key=lambda r: (r.name.lower(), r.id))

    def get(self, document_id: str) -> DocumentRecord | None:
        return self._items.get(document_id)

    def create(
        self,
        document_type: str,
        name: str,
        content: bytes,
        *,
        owner: str,
        now: datetime,
        document_id: str | None = None,
    ) -> DocumentRecord:
        record = _new(document_type, name, content, owner, now=now, document_id=document_id)
        with self._lock:
            if record.id in self._items:
                raise _taken(record.id)
            self._items[record.id] = record
        return record

    def update(
        self,
        document_id: str,
        version: int,
        *,
        by: str,
        now: datetime,
        name: str | None = None,
        content: bytes | None = None,
    ) -> DocumentRecord:
        with self._lock:
            found = _current(self._items.get(document_id), document_id, version)
            record = self._items[document_id] = _changed(found, by, now, name, content)
        return record

    def delete(self, document_id: str, version: int) -> None:
        with self._lock:
            _current(self._items.get(document_id), document_id, version)
            del self._items[document_id]
