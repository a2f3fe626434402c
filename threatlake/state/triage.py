"""Triage state per finding: status, assignee, comments and an audit history, on SQLite and in memory.

A finding nobody has triaged is ``NEW`` with no assignee (nothing is stored for it). ``set`` changes the
status and/or assignee of many findings at once (a bulk action in the UI) and writes one history entry per
finding and changed field — who, when, old → new and the comment given — in one transaction. Status
``RISK_ACCEPTED`` may carry an ``expires`` time, after which ``TriageRecord.effective`` is ``NEW`` again.
Suppression rules (automatic triage by a condition) are their own repository, ``state/suppressions.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from threatlake.errors import RequestError
from threatlake.state.database import Database, Row, iso

__all__ = [
    "MAX_BULK",
    "STATUSES",
    "Comment",
    "HistoryEntry",
    "MemoryTriage",
    "SqliteTriage",
    "TriageRecord",
    "TriageRepository",
]

STATUSES: tuple[str, ...] = (
    "NEW",
    "IN_PROGRESS",
    "RESOLVED",
    "FALSE_POSITIVE",
    "SUPPRESSED",
    "RISK_ACCEPTED",
)
MAX_BULK = 10_000  # findings in one ``set``
_MAX_TEXT = 10_000  # characters of a comment


@dataclass(frozen=True, slots=True)
class TriageRecord:
    finding_id: str
    status: str = "NEW"
    assignee: str | None = None
    expires: str | None = None
    modified: str | None = None
    modified_by: str | None = None

    def effective(self, now: datetime) -> str:
        """The status in force at ``now`` (an accepted risk past its expiry is NEW again)."""
        if self.status == "RISK_ACCEPTED" and self.expires is not None and self.expires <= iso(now):
            return "NEW"
        return self.status

    def as_dict(self) -> dict[str, object]:
        return {
            "findingId": self.finding_id,
            "status": self.status,
            "assignee": self.assignee,
            "expires": self.expires,
            "modified": self.modified,
            "modifiedBy": self.modified_by,
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    finding_id: str
    who: str
    at: str
    field: str
    old: str | None
    new: str | None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Comment:
    finding_id: str
    author: str
    at: str
    text: str


class TriageRepository(Protocol):
    def get(self, finding_id: str) -> TriageRecord: ...

    def get_many(self, finding_ids: Sequence[str]) -> dict[str, TriageRecord]:
        """The triaged ones among ``finding_ids`` (an untriaged finding is absent: NEW)."""
        ...

    def find(self, status: str | None = None, assignee: str | None = None) -> list[TriageRecord]: ...

    def set(
        self,
        finding_ids: Sequence[str],
        *,
        who: str,
        now: datetime,
        status: str | None = None,
        assignee: str | None = None,
        expires: datetime | None = None,
        comment: str = "",
    ) -> list[TriageRecord]:
        """Change status and/or assignee (``""`` unassigns) of every finding; returns the new records."""
        ...

    def comment(self, finding_id: str, *, who: str, now: datetime, text: str) -> Comment: ...

    def comments(self, finding_id: str) -> list[Comment]: ...

    def history(self, finding_id: str) -> list[HistoryEntry]:
        """Oldest first."""
        ...


def _check(
    ids: Sequence[str], status: str | None, assignee: str | None, expires: datetime | None, comment: str
) -> None:
    if not ids or len(ids) > MAX_BULK:
        raise RequestError(f"name 1 to {MAX_BULK} findings", {"field": "findingIds"})
    if any(not isinstance(item, str) or not item or len(item) > 500 for item in ids):
        raise RequestError("a finding id is a string of 1 to 500 characters", {"field": "findingIds"})
    if status is not None and status not in STATUSES:
        raise RequestError(f"unknown status {status!r}; valid: {', '.join(STATUSES)}", {"field": "status"})
    if status is None and assignee is None:
        raise RequestError("set a status, an assignee, or both", {"field": "status"})
    if expires is not None and status != "RISK_ACCEPTED":
        raise RequestError("only RISK_ACCEPTED takes an expiry", {"field": "expires"})
    if assignee is not None and len(assignee) > 100:
        raise RequestError("an assignee has at most 100 characters", {"field": "assignee"})
    if len(comment) > _MAX_TEXT:
        raise RequestError(f"a comment has at most {_MAX_TEXT} characters", {"field": "comment"})


def _change(
    record: TriageRecord,
    *,
    who: str,
    now: datetime,
    status: str | None,
    assignee: str | None,
    expires: datetime | None,
    comment: str,
) -> tuple[TriageRecord, list[HistoryEntry]]:
    """The record after the change and one history entry per field that changed."""
    new_status = record.status if status is None else status
    new_assignee = record.assignee if assignee is None else (assignee or None)
    new_expires = record.expires if status is None else (iso(expires) if expires else None)
    at = iso(now)
    entries = [
        HistoryEntry(record.finding_id, who, at, field, old, new, comment)
        for field, old, new in (
            ("status", record.status, new_status),
            ("assignee", record.assignee, new_assignee),
            ("expires", record.expires, new_expires),
        )
        if old != new
    ]
    updated = replace(record, status=new_status, assignee=new_assignee, expires=new_expires,
                      modified=at, modified_by=who)  # fmt: skip
    return updated, entries


def _check_comment(text: str) -> None:
    if not text.strip() or len(text) > _MAX_TEXT:
        raise RequestError(f"a comment has 1 to {_MAX_TEXT} characters", {"field": "text"})


_SCHEMA = """
create table if not exists triage (
    finding_id text primary key, status text not null, assignee text, expires text, modified text,
    modified_by text);
create table if not exists triage_history (
    finding_id text not null, who text not null, at text not null, field text not null, old text,
    new text, comment text not null);
create index if not exists triage_history_by_finding on triage_history (finding_id);
create table if not exists triage_comments (
    finding_id text not null, author text not null, at text not null, body text not null);
create index if not exists triage_comments_by_finding on triage_comments (finding_id);
"""
_SELECT = "select finding_id, status, assignee, expires, modified, modified_by from triage"
_CHUNK = 500  # ids per ``in (...)``: under every database's parameter limit


class SqliteTriage:
    """``TriageRepository`` in the ``triage``, ``triage_history`` and ``triage_comments`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def get(self, finding_id: str) -> TriageRecord:
        return self.get_many([finding_id]).get(finding_id) or TriageRecord(finding_id)

    def get_many(self, finding_ids: Sequence[str]) -> dict[str, TriageRecord]:
        found: dict[str, TriageRecord] = {}
        unique = list(dict.fromkeys(finding_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in self._db.execute(f"{_SELECT} where finding_id in ({marks})", chunk):
                found[row[0]] = TriageRecord(*row)
        return found

    def find(self, status: str | None = None, assignee: str | None = None) -> list[TriageRecord]:
        where = [(c, v) for c, v in (("status", status), ("assignee", assignee)) if v is not None]
        clause = (" where " + " and ".join(f"{c} = ?" for c, _ in where)) if where else ""
        rows = self._db.execute(f"{_SELECT}{clause} order by finding_id", [v for _, v in where])
        return [TriageRecord(*row) for row in rows]

    def set(
        self,
        finding_ids: Sequence[str],
        *,
        who: str,
        now: datetime,
        status: str | None = None,
        assignee: str | None = None,
        expires: datetime | None = None,
        comment: str = "",
    ) -> list[TriageRecord]:
        _check(finding_ids, status, assignee, expires, comment)
        out: list[TriageRecord] = []
        with self._db.transaction():
            current = self.get_many(finding_ids)
            records, history = [], []
            for finding_id in dict.fromkeys(finding_ids):
                record = current.get(finding_id) or TriageRecord(finding_id)
                updated, entries = _change(
                    record,
                    who=who,
                    now=now,
                    status=status,
                    assignee=assignee,
                    expires=expires,
                    comment=comment,
                )
                records.append(updated)
                history.extend(entries)
            self._db.executemany(
                "insert into triage (finding_id, status, assignee, expires, modified, modified_by)"
                " values (?, ?, ?, ?, ?, ?) on conflict (finding_id) do update set status = excluded.status,"
                " assignee = excluded.assignee, expires = excluded.expires, modified = excluded.modified,"
                " modified_by = excluded.modified_by",
                [(r.finding_id, r.status, r.assignee, r.expires, r.modified, r.modified_by) for r in records],
            )
            self._db.executemany(
                "insert into triage_history (finding_id, who, at, field, old, new, comment)"
                " values (?, ?, ?, ?, ?, ?, ?)",
                [(e.finding_id, e.who, e.at, e.field, e.old, e.new, e.comment) for e in history],
            )
            out = records
        return out

    def comment(self, finding_id: str, *, who: str, now: datetime, text: str) -> Comment:
        _check_comment(text)
        found = Comment(finding_id, who, iso(now), text)
        self._db.execute(
            "insert into triage_comments (finding_id, author, at, body) values (?, ?, ?, ?)",
            (found.finding_id, found.author, found.at, found.text),
        )
        return found

    def comments(self, finding_id: str) -> list[Comment]:
        rows = self._db.execute(
            "select finding_id, author, at, body from triage_comments where finding_id = ? order by at",
            (finding_id,),
        )
        return [Comment(*row) for row in rows]

    def history(self, finding_id: str) -> list[HistoryEntry]:
        rows = self._db.execute(
            "select finding_id, who, at, field, old, new, comment from triage_history where finding_id = ?"
            " order by at",
            (finding_id,),
        )
        return [_entry(row) for row in rows]


def _entry(row: Row) -> HistoryEntry:
    return HistoryEntry(*row)


class MemoryTriage:
    """``TriageRepository`` in dicts (tests)."""

    def __init__(self) -> None:
        self._records: dict[str, TriageRecord] = {}
        self._history: list[HistoryEntry] = []
        self._comments: list[Comment] = []
        self._lock = threading.Lock()

    def get(self, finding_id: str) -> TriageRecord:
        return self._records.get(finding_id) or TriageRecord(finding_id)

    def get_many(self, finding_ids: Sequence[str]) -> dict[str, TriageRecord]:
        return {item: self._records[item] for item in finding_ids if item in self._records}

    def find(self, status: str | None = None, assignee: str | None = None) -> list[TriageRecord]:
        return [
            record
            for _, record in sorted(self._records.items())
            if (status is None or record.status == status)
            and (assignee is None or record.assignee == assignee)
        ]

    def set(
        self,
        finding_ids: Sequence[str],
        *,
        who: str,
        now: datetime,
        status: str | None = None,
        assignee: str | None = None,
        expires: datetime | None = None,
        comment: str = "",
    ) -> list[TriageRecord]:
        _check(finding_ids, status, assignee, expires, comment)
        out = []
        with self._lock:
            for finding_id in dict.fromkeys(finding_ids):
                updated, entries = _change(
                    self.get(finding_id),
                    who=who,
                    now=now,
                    status=status,
                    assignee=assignee,
                    expires=expires,
                    comment=comment,
                )
                self._records[finding_id] = updated
                self._history.extend(entries)
                out.append(updated)
        return out

    def comment(self, finding_id: str, *, who: str, now: datetime, text: str) -> Comment:
        _check_comment(text)
        found = Comment(finding_id, who, iso(now), text)
        with self._lock:
            self._comments.append(found)
        return found

    def comments(self, finding_id: str) -> list[Comment]:
        return [item for item in self._comments if item.finding_id == finding_id]

    def history(self, finding_id: str) -> list[HistoryEntry]:
        return [item for item in self._history if item.finding_id == finding_id]
