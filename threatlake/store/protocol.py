"""What every store backend offers: the one small protocol the rest of Threatlake programs against.

A backend is a same-shaped package (``duckdb``, ``clickhouse``) registered in ``threatlake.store``.
Callers never see a database connection: they write events, run compiled SQL with bound parameters, manage
buckets and sweep retention. ``dialect`` names the SQL dialect the query compiler must target.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from threatlake.model import Event
from threatlake.store.migrations import MigrationReport

__all__ = ["Bucket", "Interrupt", "Params", "Rows", "Store", "TriageRow", "WriteResult"]

Params = Sequence[Any] | Mapping[str, Any] | None


class Interrupt:
    """Stops a running query from another thread (``query:cancel``). The store ``bind``s how to stop the
    statement it runs (DuckDB: the cursor's ``interrupt``); ``stop()`` calls it, or, before the statement
    started, makes ``bind`` stop it at once. A backend that cannot stop a statement ignores it: the query
    then runs on to its timeout, its answer dropped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._how: Callable[[], object] | None = None
        self.stopped = False

    def bind(self, how: Callable[[], object]) -> None:
        with self._lock:
            self._how = how
            stopped = self.stopped
        if stopped:
            how()

    def unbind(self) -> None:
        with self._lock:
            self._how = None

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
        self._repeat(20)

    def _repeat(self, left: int) -> None:
        """Stop the bound statement, and again every 0.1 s while it stays bound: an engine may clear a
        stop that came between the bind and the statement's start."""
        with self._lock:
            how = self._how
        if how is None:
            return
        how()
        if left > 1:
            timer = threading.Timer(0.1, self._repeat, (left - 1,))
            timer.daemon = True
            timer.start()


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one write: how many events were newly stored, how many were already there, and which.

    ``duplicates`` counts both events whose ``event.id`` was stored before and repeats inside the batch (exact
    for one writer; best effort on an engine that merges duplicates away, with several writers at once), so
    ``stored + duplicates`` is always the number of events handed to ``write``. ``new_ids`` holds the
    ``event.id`` of each newly stored event (``len(new_ids) == stored`` when a store reports them, as every
    backend's ``write`` must): the new-event hook fires for exactly these, and a group commit splits its
    counts per request with them.
    """

    stored: int = 0
    duplicates: int = 0
    new_ids: frozenset[str] = field(default=frozenset(), compare=False)  # equal results: equal counts

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.stored + other.stored, self.duplicates + other.duplicates, self.new_ids | other.new_ids
        )


@dataclass(frozen=True, slots=True)
class Rows:
    """Events ready to write (``threatlake.store.rows.prepare``): a table with the events schema holding one
    row per distinct ``event.id``, and how many events were left out as repeats of an id in it."""

    table: pa.Table
    repeats: int = 0

    @property
    def events(self) -> int:
        """How many events these rows stand for (what a write of them counts)."""
        rows: int = self.table.num_rows
        return rows + self.repeats

    def result(self, new_ids: Sequence[str]) -> WriteResult:
        """The outcome of a write of these rows that newly stored ``new_ids`` (all others: duplicates)."""
        return WriteResult(len(new_ids), self.events - len(new_ids), frozenset(new_ids))


@dataclass(frozen=True, slots=True)
class Bucket:
    """A named home for events with its own retention (``dt.system.bucket`` names it on each event)."""

    name: str
    retention_days: int
    created: datetime


@dataclass(frozen=True, slots=True)
class TriageRow:
    """One finding's triage state as the store mirrors it for DQL (``fetch security.triage``)."""

    finding_id: str
    status: str
    assignee: str | None = None
    expires: datetime | None = None
    modified: datetime | None = None
    modified_by: str | None = None


@runtime_checkable
class Store(Protocol):
    """A place events are durably stored and queried."""

    @property
    def dialect(self) -> str:
        """The sqlglot dialect name the query compiler targets (``"duckdb"``, ``"clickhouse"``)."""
        ...

    def write(self, events: Iterable[Event]) -> WriteResult:
        """Store ``events``; an event whose ``event.id`` is already stored is a duplicate, not re-inserted.

        Returns once the new events are durable (committed); the ``latest`` table may follow later, but a
        query that reads it sees every committed write.
        """
        ...

    def write_rows(self, rows: Rows) -> WriteResult:
        """``write`` of events already prepared (``threatlake.store.rows.prepare``): the same outcome as
        writing the events the rows were made from. ``write(events)`` is ``write_rows(prepare(events))``."""
        ...

    def execute(
        self,
        sql: str,
        params: Params = None,
        *,
        timeout: float | None = None,
        interrupt: Interrupt | None = None,
    ) -> pa.Table:
        """Run one read-only statement with bound parameters on a connection of its own; past ``timeout``
        seconds, or when ``interrupt`` is stopped, the engine is interrupted and ``QueryTimeoutError`` says
        so."""
        ...

    def list_buckets(self) -> list[Bucket]: ...

    def create_bucket(self, name: str, retention_days: int, *, now: datetime) -> Bucket: ...

    def delete_bucket(self, name: str) -> int:
        """Delete a bucket and every event in it; returns how many events were deleted."""
        ...

    def sweep_retention(self, now: datetime) -> int:
        """Delete the events older than their bucket's retention at ``now``; returns how many were deleted
        (where a row TTL also expires them, this deletes what the TTL has not dropped yet)."""
        ...

    def put_triage(self, rows: Sequence[TriageRow], *, replace: bool = False) -> None:
        """Mirror triage state: upsert ``rows`` by finding id (``replace``: the rows become the whole
        mirror). The settings state is the source of truth; ``threatlake.service.triage`` keeps this in
        step."""
        ...

    def migrate(self, cluster: str | None = None) -> MigrationReport:
        """Create or complete the schema: apply the migrations the store does not record, in order, and
        record them (``store/migrations.py``). ``cluster`` names a ClickHouse cluster to build the cluster
        form on (``ON CLUSTER``, replicated and distributed tables); None keeps the form the store has
        (single-node for a new store). A backend without a cluster form refuses a ``cluster``. Opening a
        store migrates it (``serve`` and every command share this path); ``threatlake migrate`` runs it
        on its own."""
        ...

    def close(self) -> None: ...
