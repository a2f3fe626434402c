"""The narrow seams the engine consumes, as Protocols; ``memory.py`` has in-memory implementations for tests.

The service wires the real ones: a query function over the store, credentials from the state credentials
repository, and ``threatlake.state.workflows`` for definitions, executions, marks and the lease.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from threatlake.state.workflows import StoredWorkflow

__all__ = [
    "Credential",
    "Credentials",
    "Definitions",
    "Executions",
    "Lease",
    "Marks",
    "QueryFunction",
    "StoredWorkflow",
    "TriageFunction",
]

#: Kinds of mark: a finding key reported by a workflow; an event that triggered it; a scheduled run done.
REPORTED, EVENT, SCHEDULED = "reported", "event", "scheduled"


class QueryFunction(Protocol):
    """Runs DQL on the store and returns the platform result ``{records, types, metadata}``."""

    def __call__(self, query: str, *, max_records: int) -> dict[str, Any]: ...


class TriageFunction(Protocol):
    """Sets triage state on findings (``threatlake:set-triage-status``); returns how many were changed."""

    def __call__(
        self,
        finding_ids: list[str],
        *,
        status: str | None,
        assignee: str | None,
        comment: str | None,
        actor: str,
    ) -> int: ...


@dataclass(frozen=True, slots=True)
class Credential:
    """A named, typed secret for an outbound action. ``fields`` holds the decrypted values; never log them."""

    id: str
    name: str
    type: str  # jira | slack | msteams | smtp | http
    fields: dict[str, Any] = field(repr=False)
    default: bool = False


class Credentials(Protocol):
    def resolve(self, reference: str | None, type: str) -> Credential | None:
        """The credential named or with id ``reference`` of ``type``; for an empty or unknown reference, the
        type's default credential; None when neither exists."""
        ...


class Definitions(Protocol):
    def list_workflows(self) -> list[StoredWorkflow]: ...

    def get_workflow(self, workflow_id: str) -> StoredWorkflow | None: ...

    def put_workflow(
        self,
        workflow_id: str,
        document: dict[str, Any],
        now: datetime,
        *,
        expected_version: int | None = None,
    ) -> StoredWorkflow:
        """Create or replace; with ``expected_version`` a stale version raises ``ConflictError``."""
        ...

    def delete_workflow(self, workflow_id: str) -> bool: ...


class Executions(Protocol):
    def save_execution(self, record: dict[str, Any]) -> None:
        """Insert or replace the execution record ``record["id"]`` (with its ``tasks``)."""
        ...

    def get_execution(self, execution_id: str) -> dict[str, Any] | None: ...

    def list_executions(self, workflow_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first."""
        ...

    def prune_executions(self, before: datetime) -> int: ...


class Marks(Protocol):
    """Small facts per workflow: what it reported, which events triggered it, when its schedule last ran."""

    def claim(self, workflow_id: str, kind: str, key: str, at: datetime) -> bool:
        """Record ``key``; True when it was not recorded before (at most once per key)."""
        ...

    def mark(self, workflow_id: str, kind: str, keys: Iterable[str], at: datetime) -> None:
        """Record ``keys`` at ``at`` (replacing an older time)."""
        ...

    def marked_since(self, workflow_id: str, kind: str, keys: Iterable[str], since: datetime) -> set[str]:
        """Those of ``keys`` recorded at or after ``since``."""
        ...

    def last(self, workflow_id: str, kind: str) -> datetime | None:
        """The latest time any key of ``kind`` was recorded."""
        ...


class Lease(Protocol):
    def acquire(self, name: str, holder: str, ttl: float, now: datetime) -> bool: ...

    def release(self, name: str, holder: str) -> None: ...
