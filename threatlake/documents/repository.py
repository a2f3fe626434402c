"""Where documents live: ``DocumentRepository``, on SQLite (``SqliteDocuments``) and in memory.

A document is its metadata (id, type, name, owner, version, times) and its content (the JSON bytes).
Every change needs the version the writer last read (optimistic locking): another version means someone
else changed it meanwhile, and the change fails with ``ConflictError`` leaving the document as it was.
The SQLite file is shared safely by the service and the command line.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from threatlake.errors import ConflictError, NotFoundError, StoreError

__all__ = ["FILE_NAME", "DocumentRecord", "DocumentRepository", "MemoryDocuments", "SqliteDocuments"]

FILE_NAME = "documents.sqlite"
_SCHEMA = """
create table if not exists documents (
    id text primary key, type text not null, name text not null, owner text not null,
    version integer not null, content blob not null, created text not null, created_by text not null,
    modified text not null, modified_by text not null);
create index if not exists documents_type on documents (type, name);
"""
_COLUMNS = "id, type, name, owner, version, content, created, created_by, modified, modified_by"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    at = _iso(now)
    return DocumentRecord(
        document_id or str(uuid.uuid4()), document_type, name, owner, 1, content, at, owner, at, owner
    )


def _check_version(found: DocumentRecord | None, document_id: str, version: int) -> DocumentRecord:
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
        modified=_iso(now),
        modified_by=by,
    )


class MemoryDocuments:
    """``DocumentRepository`` in a dict (tests, ``:memory:`` stores)."""

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
                raise ConflictError(f"a document with id {record.id!r} exists", {"id": record.id})
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
            found = _check_version(self._items.get(document_id), document_id, version)
            record = self._items[document_id] = _changed(found, by, now, name, content)
        return record

    def delete(self, document_id: str, version: int) -> None:
        with self._lock:
            _check_version(self._items.get(document_id), document_id, version)
            del self._items[document_id]


class SqliteDocuments:
    """``DocumentRepository`` in ``<data_dir>/documents.sqlite`` (WAL: the CLI and the service share it)."""

    def __init__(self, path: Path | str) -> None:
        try:
            self._conn = sqlite3.connect(
                str(path), timeout=10.0, check_same_thread=False, isolation_level=None
            )
            self._conn.execute("pragma journal_mode=wal")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the documents database {path}: {error}") from None
        self._lock = threading.RLock()

    @classmethod
    def in_dir(cls, data_dir: Path | str) -> SqliteDocuments:
        directory = Path(data_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory / FILE_NAME)

    def close(self) -> None:
        self._conn.close()

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[DocumentRecord]:
        with self._lock:
            try:
                rows = self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise StoreError(f"documents database: {error}", retryable=True) from None
        return [DocumentRecord(r[0], r[1], r[2], r[3], int(r[4]), bytes(r[5]), *r[6:]) for r in rows]

    def list(self, document_type: str | None = None) -> list[DocumentRecord]:
        if document_type is None:
            return self._rows(f"select {_COLUMNS} from documents order by lower(name), id")
        return self._rows(
            f"select {_COLUMNS} from documents where type = ? order by lower(name), id", (document_type,)
        )

    def get(self, document_id: str) -> DocumentRecord | None:
        found = self._rows(f"select {_COLUMNS} from documents where id = ?", (document_id,))
        return found[0] if found else None

    def _write(self, sql: str, params: tuple[object, ...]) -> int:
        try:
            return self._conn.execute(sql, params).rowcount
        except sqlite3.IntegrityError:
            raise ConflictError(f"a document with id {params[0]!r} exists", {"id": params[0]}) from None
        except sqlite3.Error as error:
            raise StoreError(f"documents database: {error}", retryable=True) from None

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
            self._write(
                f"insert into documents ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.type,
                    record.name,
                    record.owner,
                    record.version,
                    record.content,
                    record.created,
                    record.created_by,
                    record.modified,
                    record.modified_by,
                ),
            )
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
            record = _changed(
                _check_version(self.get(document_id), document_id, version), by, now, name, content
            )
            changed = self._write(
                "update documents set name = ?, content = ?, version = ?, modified = ?, modified_by = ?"
                " where id = ? and version = ?",
                (
                    record.name,
                    record.content,
                    record.version,
                    record.modified,
                    record.modified_by,
                    document_id,
                    version,
                ),
            )
            if changed != 1:  # another process changed it between the read and the write
                _check_version(self.get(document_id), document_id, version)
        return record

    def delete(self, document_id: str, version: int) -> None:
        with self._lock:
            _check_version(self.get(document_id), document_id, version)
            if self._write("delete from documents where id = ? and version = ?", (document_id, version)) != 1:
                _check_version(self.get(document_id), document_id, version)
