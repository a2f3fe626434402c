"""The document operations the API, the CLI and the pages share: every write checks the format first.

``Documents`` wraps a ``DocumentRepository``: content is normalized (``normalize``) before it is stored, so
what comes back out is a valid document of its type; names are 1 to 128 characters (as on the platform).
``install_shipped`` adds the shipped dashboards under stable ids, once.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from threatlake.documents import normalize
from threatlake.documents.shipped import shipped_dashboards
from threatlake.errors import NotFoundError, RequestError
from threatlake.state.documents import DocumentRecord, DocumentRepository

__all__ = [
    "DELETE_SCOPE",
    "MAX_NAME",
    "READ_SCOPE",
    "WRITE_SCOPE",
    "Documents",
    "ListFilter",
    "content_of",
    "metadata",
    "parse_filter",
]

MAX_NAME = 128
#: The platform's document scopes (what the Document API's endpoints need).
READ_SCOPE = "document:documents:read"
WRITE_SCOPE = "document:documents:write"
DELETE_SCOPE = "document:documents:delete"
SHIPPED_PREFIX = "threatlake-"
_FILTER_FIELDS = ("id", "name", "type", "owner")
_CLAUSE = re.compile(
    r"\s*(?P<field>[a-z]+)\s*(?P<op>==|!=|=|contains|starts-with|ends-with)\s*'(?P<value>(?:[^'\\]|\\.)*)'\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ListFilter:
    """``field op 'value'`` clauses joined by ``and`` (the platform's list filter, its common part)."""

    clauses: tuple[tuple[str, str, str], ...] = ()

    def matches(self, record: DocumentRecord) -> bool:
        for field, op, value in self.clauses:
            have = str(getattr(record, field))
            if op in ("==", "="):
                ok = have == value
            elif op == "!=":
                ok = have != value
            elif op == "contains":
                ok = value.lower() in have.lower()
            elif op == "starts-with":
                ok = have.lower().startswith(value.lower())
            else:
                ok = have.lower().endswith(value.lower())
            if not ok:
                return False
        return True

    @property
    def document_type(self) -> str | None:
        """The type an equality clause pins, so the repository can narrow the read."""
        return next(
            (value for field, op, value in self.clauses if field == "type" and op in ("==", "=")), None
        )


def parse_filter(text: str | None) -> ListFilter:
    """``type == 'dashboard' and name contains 'aws'`` → a ``ListFilter``; RequestError naming the column."""
    if not text or not text.strip():
        return ListFilter()
    clauses: list[tuple[str, str, str]] = []
    position = 0
    for index, part in enumerate(re.split(r"(?i)\s+and\s+", text)):
        match = _CLAUSE.fullmatch(part)
        if match is None or match["field"].lower() not in _FILTER_FIELDS:
            raise RequestError(
                f"Cannot read the filter at column {position + 1} ({part.strip()[:60]!r}): write"
                f" <field> ==|!=|contains|starts-with|ends-with '<value>' with a field of"
                f" {', '.join(_FILTER_FIELDS)}, joined by 'and'",
                {"field": "filter", "column": position + 1, "clause": index},
            )
        value = re.sub(r"\\(.)", r"\1", match["value"])
        clauses.append((match["field"].lower(), match["op"].lower(), value))
        position += len(part) + 5
    return ListFilter(tuple(clauses))


def metadata(record: DocumentRecord) -> dict[str, Any]:
    """The platform's document metadata shape."""
    return {
        "id": record.id,
        "name": record.name,
        "type": record.type,
        "description": None,
        "version": record.version,
        "owner": record.owner,
        "isPrivate": False,
        "modificationInfo": {
            "createdBy": record.created_by,
            "createdTime": record.created,
            "lastModifiedBy": record.modified_by,
            "lastModifiedTime": record.modified,
        },
    }


def content_of(record: DocumentRecord) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(record.content)
    return parsed


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise RequestError(f"A document name is 1 to {MAX_NAME} characters", {"field": "name"})
    return name.strip()


class Documents:
    """Documents of the types in ``DOCUMENT_TYPES``, checked on every write."""

    def __init__(self, repository: DocumentRepository) -> None:
        self.repository = repository

    def list(self, where: ListFilter | None = None) -> list[DocumentRecord]:
        where = where or ListFilter()
        return [r for r in self.repository.list(where.document_type) if where.matches(r)]

    def get(self, document_id: str) -> DocumentRecord:
        found = self.repository.get(document_id)
        if found is None:
            raise NotFoundError(f"no document {document_id[:100]!r}", {"id": document_id[:100]})
        return found

    def create(
        self,
        document_type: str,
        name: Any,
        content: bytes | str | dict[str, Any],
        *,
        owner: str,
        now: datetime,
        document_id: str | None = None,
    ) -> DocumentRecord:
        if document_id is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}", document_id):
            raise RequestError(
                "A document id is 1 to 200 letters, digits, '.', '_', ':' or '-'", {"field": "id"}
            )
        body = orjson.dumps(normalize(document_type, content))
        return self.repository.create(
            document_type, _name(name), body, owner=owner, now=now, document_id=document_id
        )

    def update(
        self,
        document_id: str,
        version: int,
        *,
        by: str,
        now: datetime,
        name: Any = None,
        content: bytes | str | dict[str, Any] | None = None,
    ) -> DocumentRecord:
        if name is None and content is None:
            raise RequestError("Nothing to update: send a name, a content or both", {"field": "content"})
        found = self.get(document_id)
        body = None if content is None else orjson.dumps(normalize(found.type, content))
        return self.repository.update(
            document_id, version, by=by, now=now, name=None if name is None else _name(name), content=body
        )

    def delete(self, document_id: str, version: int) -> None:
        self.repository.delete(document_id, version)

    def duplicate(self, document_id: str, *, owner: str, now: datetime) -> DocumentRecord:
        found = self.get(document_id)
        name = f"Copy of {found.name}"[:MAX_NAME]
        return self.repository.create(found.type, name, found.content, owner=owner, now=now)

    def install_shipped(
        self, *, owner: str, now: datetime, names: Collection[str] | None = None
    ) -> builtins.list[DocumentRecord]:
        """The shipped dashboards (those named in ``names``; all by default), created under
        ``threatlake-<stem>`` unless present already; RequestError for a name that is not shipped."""
        known = {name for _stem, name, _document in shipped_dashboards()}
        unknown = sorted(set(names or ()) - known)
        if unknown:
            raise RequestError(f"no ready-made dashboard is called {unknown[0][:100]!r}", {"field": "name"})
        installed = []
        for stem, name, document in shipped_dashboards():
            if names is not None and name not in names:
                continue
            existing = self.repository.get(SHIPPED_PREFIX + stem)
            if existing is None:
                existing = self.create(
                    "dashboard", name, document, owner=owner, now=now, document_id=SHIPPED_PREFIX + stem
                )
            installed.append(existing)
        return installed
