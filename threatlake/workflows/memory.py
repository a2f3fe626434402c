"""In-memory implementations of the engine's ports, for tests and a store-less engine."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from threatlake.errors import ConflictError
from threatlake.workflows.ports import Credential, StoredWorkflow

__all__ = ["MemoryCredentials", "MemoryLease", "MemoryWorkflowState"]


class MemoryWorkflowState:
    """``Definitions`` + ``Executions`` + ``Marks`` in dictionaries."""

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
            if expected_version is not None and (old.version if old else 0) != expected_version:
                raise ConflictError(f"workflow {workflow_id} changed since version {expected_version}")
            stored = StoredWorkflow(
                workflow_id,
                (old.version if old else 0) + 1,
                copy.deepcopy(document),
                old.created if old else now,
                now,
            )
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


class MemoryCredentials:
    """``Credentials`` over a list of ``Credential``."""

    def __init__(self, credentials: Iterable[Credential] = ()) -> None:
        self.items = list(credentials)

    def resolve(self, reference: str | None, type: str) -> Credential | None:
        typed = [c for c in self.items if c.type == type]
        for credential in typed:
            if reference and reference in (credential.id, credential.name):
                return credential
        return next((c for c in typed if c.default), None)


class MemoryLease:
    """``Lease`` in a dictionary: one holder per name until its time to live runs out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, datetime]] = {}

    def acquire(self, name: str, holder: str, ttl: float, now: datetime) -> bool:
        with self._lock:
            current = self._held.get(name)
            if current is not None and current[0] != holder and current[1] > now:
                return False
            self._held[name] = (holder, now + timedelta(seconds=ttl))
            return True

    def release(self, name: str, holder: str) -> None:
        with self._lock:
            if self._held.get(name, ("", None))[0] == holder:
                del self._held[name]
