"""Query hand-offs: a polled query's state and final answer, readable by every node of the service.

A query that ``query:execute`` answers RUNNING gets a request token; the client may ``poll`` or ``cancel``
it through any node behind the load balancer. The node running it records the token here (``running``),
and when the query ends it stores the final answer exactly as it would send it: an HTTP status and the JSON
bytes (``finish``; the result or the error shape). Another node answers a poll from this record, and a
cancel through another node marks it ``cancelled`` so the running node's answer is dropped. Records expire
(``expires``: the query's deadline, then the result's time to live); every write deletes expired ones.

On one node (SQLite state) this costs two small writes per query answered RUNNING, and none for a query
answered inline.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from threatlake.state.database import Database

__all__ = ["Handoff", "HandoffState", "MemoryQueryResults", "QueryResultRepository", "SqliteQueryResults"]

HandoffState = Literal["running", "finished", "cancelled"]

_SCHEMA = """
create table if not exists query_results (
    token text primary key, owner text not null, state text not null, status integer not null,
    body blob not null, expires text not null
);
"""


@dataclass(frozen=True, slots=True)
class Handoff:
    """A polled query as another node sees it: ``status``/``body`` are the final answer once finished."""

    token: str
    owner: str
    state: HandoffState
    status: int
    body: bytes


def iso(moment: datetime) -> str:
    """Expiry to the microsecond (a result may live under a second), fixed width: text sorts as time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class QueryResultRepository(Protocol):
    def running(self, token: str, owner: str, expires: datetime, now: datetime) -> None:
        """Record that ``token`` (of the token key ``owner``) runs on some node until ``expires``."""
        ...

    def finish(self, token: str, status: int, body: bytes, expires: datetime) -> bool:
        """Store the final answer of a running query; False when it was cancelled or is unknown."""
        ...

    def cancel(self, token: str) -> bool:
        """Mark a recorded query cancelled; False when there is no such record."""
        ...

    def get(self, token: str, now: datetime) -> Handoff | None:
        """The record of ``token`` unless it expired."""
        ...


class SqliteQueryResults:
    """``QueryResultRepository`` in the ``query_results`` table (any ``Database``)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def running(self, token: str, owner: str, expires: datetime, now: datetime) -> None:
        with self._db.transaction():
            self._db.execute("delete from query_results where expires < ?", (iso(now),))
            self._db.execute(
                "insert into query_results (token, owner, state, status, body, expires)"
                " values (?, ?, 'running', 0, ?, ?)",
                (token, owner, b"", iso(expires)),
            )

    def finish(self, token: str, status: int, body: bytes, expires: datetime) -> bool:
        with self._db.transaction():
            found = self._db.one("select state from query_results where token = ?", (token,))
            if found is None or found[0] != "running":
                return False
            self._db.execute(
                "update query_results set state = 'finished', status = ?, body = ?, expires = ?"
                " where token = ?",
                (status, body, iso(expires), token),
            )
        return True

    def cancel(self, token: str) -> bool:
        with self._db.transaction():
            found = self._db.one("select 1 from query_results where token = ?", (token,))
            if found is None:
                return False
            self._db.execute(
                "update query_results set state = 'cancelled', body = ? where token = ?", (b"", token)
            )
        return True

    def get(self, token: str, now: datetime) -> Handoff | None:
        row = self._db.one(
            "select token, owner, state, status, body from query_results where token = ? and expires >= ?",
            (token, iso(now)),
        )
        if row is None:
            return None
        return Handoff(row[0], row[1], row[2], int(row[3]), bytes(row[4]))


class MemoryQueryResults:
    """The same in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, tuple[Handoff, str]] = {}

    def running(self, token: str, owner: str, expires: datetime, now: datetime) -> None:
        with self._lock:
            for key in [key for key, (_, until) in self._rows.items() if until < iso(now)]:
                del self._rows[key]
            self._rows[token] = (Handoff(token, owner, "running", 0, b""), iso(expires))

    def finish(self, token: str, status: int, body: bytes, expires: datetime) -> bool:
        with self._lock:
            found = self._rows.get(token)
            if found is None or found[0].state != "running":
                return False
            self._rows[token] = (Handoff(token, found[0].owner, "finished", status, body), iso(expires))
        return True

    def cancel(self, token: str) -> bool:
        with self._lock:
            found = self._rows.get(token)
            if found is None:
                return False
            self._rows[token] = (Handoff(token, found[0].owner, "cancelled", 0, b""), found[1])
        return True

    def get(self, token: str, now: datetime) -> Handoff | None:
        with self._lock:
            found = self._rows.get(token)
        if found is None or found[1] < iso(now):
            return None
        return found[0]
