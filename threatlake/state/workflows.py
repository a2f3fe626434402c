"""Workflows: definitions with versions, execution records, and per-workflow marks, on SQLite and in memory.

``SqliteWorkflows`` and ``MemoryWorkflows`` implement the engine's ports (``threatlake.workflows.ports``):
``Definitions`` (a workflow's document as JSON text, key order kept, a version that grows by one with each
save; ``expected_version`` gives optimistic locking), ``Executions`` (each record as JSON, newest first,
pruned by start time) and ``Marks`` (what a workflow reported, which events triggered it, which schedule
slots ran: ``claim`` inserts a key at most once, so two services on one database run a slot once).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from threatlake.errors import ConflictError
from threatlake.state.database import Database, iso, parse_iso

__all__ = ["MemoryWorkflows", "SqliteWorkflows", "StoredWorkflow"]

_SCHEMA = """
create table if not exists workflows (
    id text primary key, version integer not null, document text not null, created text not null,
    modified text not null);
create table if not exists workflow_executions (
    id text primary key, workflow text not null, started text not null, record text not null);
create index if not exists workflow_executions_by_workflow on workflow_executions (workflow, started);
create table if not exists workflow_marks (
    workflow text not null, kind text not null, key text not null, at text not null,
    primary key (workflow, kind, key));
"""


@dataclass(frozen=True, slots=True)
class StoredWorkflow:
    id: str
    version: int
    document: dict[str, Any]
    created: datetime
    updated: datetime
    owner: str = ""


class SqliteWorkflows:
    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def list_workflows(self) -> list[StoredWorkflow]:
        rows = self._db.execute(
            "select id, version, document, created, modified from workflows order by created"
        )
        return [_stored(row) for row in rows]

    def get_workflow(self, workflow_id: str) -> StoredWorkflow | None:
        row = self._db.one(
            "select id, version, document, created, modified from workflows where id = ?", (workflow_id,)
        )
        return _stored(row) if row else None

    def put_workflow(
        self,
        workflow_id: str,
        document: dict[str, Any],
        now: datetime,
        *,
        expected_version: int | None = None,
    ) -> StoredWorkflow:
        text = orjson.dumps(document).decode()
        with self._db.transaction():
            old = self.get_workflow(workflow_id)
            current = old.version if old else 0
            if expected_version is not None and current != expected_version:
                raise ConflictError(f"workflow {workflow_id} is at version {current}, not {expected_version}")
            self._db.execute(
                "insert into workflows (id, version, document, created, modified) values (?, ?, ?, ?, ?)"
                " on conflict (id) do update set version = excluded.version, document = excluded.document,"
                " modified = excluded.modified",
                (workflow_id, current + 1, text, iso(old.created if old else now), iso(now)),
            )
        stored = self.get_workflow(workflow_id)
        assert stored is not None
        return stored

    def delete_workflow(self, workflow_id: str) -> bool:
        with self._db.transaction():
            found = self._db.one("select 1 from workflows where id = ?", (workflow_id,)) is not None
            self._db.execute("delete from workflows where id = ?", (workflow_id,))
        return found

    def save_execution(self, record: dict[str, Any]) -> None:
        self._db.execute(
            "insert into workflow_executions (id, workflow, started, record) values (?, ?, ?, ?)"
            " on conflict (id) do update set record = excluded.record",
            (record["id"], record["workflow"], record["startedAt"], orjson.dumps(record).decode()),
        )

    def get_execution(self, execution_id: str) -> dict[str, Any] | None:
        row = self._db.one("select record from workflow_executions where id = ?", (execution_id,))
        return dict(orjson.loads(row[0])) if row else None

    def list_executions(self, workflow_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        if workflow_id is None:
            rows = self._db.execute(
                "select record from workflow_executions order by started desc limit ?", (limit,)
            )
        else:
            rows = self._db.execute(
                "select record from workflow_executions where workflow = ? order by started desc limit ?",
                (workflow_id, limit),
            )
        return [dict(orjson.loads(row[0])) for row in rows]

    def prune_executions(self, before: datetime) -> int:
        with self._db.transaction():
            count = self._db.one(
                "select count(*) from workflow_executions where started < ?", (before.isoformat(),)
            )
            self._db.execute("delete from workflow_executions where started < ?", (before.isoformat(),))
        return int(count[0]) if count else 0

    def claim(self, workflow_id: str, kind: str, key: str, at: datetime) -> bool:
        with self._db.transaction():
            if self._db.one(
                "select 1 from workflow_marks where workflow = ? and kind = ? and key = ?",
                (workflow_id, kind, key),
            ):
                return False
            self._db.execute(
                "insert into workflow_marks (workflow, kind, key, at) values (?, ?, ?, ?)",
                (workflow_id, kind, key, iso(at)),
            )
        return True

    def mark(self, workflow_id: str, kind: str, keys: Iterable[str], at: datetime) -> None:
        rows = [(workflow_id, kind, key, iso(at)) for key in keys]
        with self._db.transaction():
            for row in rows:
                self._db.execute(
                    "insert into workflow_marks (workflow, kind, key, at) values (?, ?, ?, ?)"
                    " on conflict (workflow, kind, key) do update set at = excluded.at",
                    row,
                )

    def marked_since(self, workflow_id: str, kind: str, keys: Iterable[str], since: datetime) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.execute(
                "select key from workflow_marks where workflow = ? and kind = ? and at >= ?"
                f" and key in ({marks})",
                (workflow_id, kind, iso(since), *chunk),
            )
            found.update(str(row[0]) for row in rows)
        return found

    def last(self, workflow_id: str, kind: str) -> datetime | None:
        row = self._db.one(
            "select max(at) from workflow_marks where workflow = ? and kind = ?", (workflow_id, kind)
        )
        return parse_iso(row[0]) if row and row[0] else None


def _stored(row: tuple[Any, ...]) -> StoredWorkflow:
    workflow_id, version, document, created, modified = row
    return StoredWorkflow(
        workflow_id, int(version), orjson.loads(document), parse_iso(created), parse_iso(modified)
    )


class MemoryWorkflows:
    """The same in dictionaries (tests; a store-less engine)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._workflows: dict[str, StoredWorkflow] = {}
        self._executions: dict[str, dict[str, Any]] = {}
        self._marks: dict[tuple[str, str, str], datetime] = {}

    def list_workflows(self) -> list[StoredWorkflow]:
        with self._lock:
            return sorted(self._workflows.values(), key=lambda w: w.created)

    def get_workflow(self, workflow_id: str) -> StoredWorkflow | None:
        with self._lock:
            return self._workflows.get(workflow_id)

    def put_workflow(
        self,
        workflow_id: str,
        document: dict[str, Any],
        now: datetime,
        *,
        expected_version: int | None = None,
    ) -> StoredWorkflow:
        with self._lock:
            old = self._workflows.get(workflow_id)
            current = old.version if old else 0
            if expected_version is not None and current != expected_version:
                raise ConflictError(f"workflow {workflow_id} is at version {current}, not {expected_version}")
            created = old.created if old else now
            stored = StoredWorkflow(workflow_id, current + 1, copy.deepcopy(document), created, now)
            self._workflows[workflow_id] = stored
            return stored

    def delete_workflow(self, workflow_id: str) -> bool:
        with self._lock:
            return self._workflows.pop(workflow_id, None) is not None

    def save_execution(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._executions[record["id"]] = copy.deepcopy(record)

    def get_execution(self, execution_id: str) -> dict[str, Any] | None:
        with self._lock:
            record = self._executions.get(execution_id)
            return copy.deepcopy(record) if record else None

    def list_executions(self, workflow_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            records = [r for r in self._executions.values() if workflow_id in (None, r["workflow"])]
        records.sort(key=lambda r: r["startedAt"], reverse=True)
        return copy.deepcopy(records[:limit])

    def prune_executions(self, before: datetime) -> int:
        cutoff = before.isoformat()
        with self._lock:
            old = [key for key, r in self._executions.items() if r["startedAt"] < cutoff]
            for key in old:
                del self._executions[key]
            return len(old)

    def claim(self, workflow_id: str, kind: str, key: str, at: datetime) -> bool:
        with self._lock:
            if (workflow_id, kind, key) in self._marks:
                return False
            self._marks[(workflow_id, kind, key)] = at
            return True

    def mark(self, workflow_id: str, kind: str, keys: Iterable[str], at: datetime) -> None:
        with self._lock:
            for key in keys:
                self._marks[(workflow_id, kind, key)] = at

    def marked_since(self, workflow_id: str, kind: str, keys: Iterable[str], since: datetime) -> set[str]:
        with self._lock:
            return {
                k for k in keys if (at := self._marks.get((workflow_id, kind, k))) is not None and at >= since
            }

    def last(self, workflow_id: str, kind: str) -> datetime | None:
        with self._lock:
            times = [at for (w, k, _), at in self._marks.items() if w == workflow_id and k == kind]
        return max(times, default=None)
