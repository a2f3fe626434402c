"""In-memory implementations of the engine's ports, for tests and a store-less engine."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from threatlake.state.workflows import MemoryWorkflows
from threatlake.workflows.ports import Credential

__all__ = ["MemoryCredentials", "MemoryLease", "MemoryWorkflowState"]


#: ``Definitions`` + ``Executions`` + ``Marks`` in dictionaries.
MemoryWorkflowState = MemoryWorkflows


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
