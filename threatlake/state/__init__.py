"""State: everything Threatlake keeps that is not an event, behind one repository per topic.

The pattern (follow it for a new repository, e.g. ``state/workflows.py``):

* one module per repository, named for its noun, holding a frozen record dataclass, a small ``Protocol``
  (``XRepository``), a SQLite implementation (``SqliteX(db: Database)``, which creates its tables with
  ``db.create(SCHEMA)`` and adds later columns with ``db.add_columns``) and an in-memory one (``MemoryX()``)
  that behaves the same (the tests in ``tests/state`` run one contract against both);
* portable SQL only (see ``state/database.py``): the same repository runs on every ``Database`` backend
  (``state/sqlite.py``, ``state/postgresql.py``; the ``Sqlite`` in its name is history);
* times are passed in (``now: datetime``), never read; input is validated in the repository and refused
  with ``RequestError`` (a bad value, with ``details["field"]``), ``NotFoundError`` or ``ConflictError``;
* several repositories' changes that must be atomic go in ``with state.transaction():`` (the service layer
  does this, e.g. ``threatlake.service.access``); a repository's own multi-statement work opens a
  transaction too, which joins the caller's;
* register it with one line in ``State`` below: ``name: Protocol = field(metadata=_made(sqlite, memory)``.

``open_state(data_dir)`` opens the settings database of a data directory (``settings.sqlite``) with every
repository on it, or, with ``database="postgresql://…"`` (the ``state`` setting), a PostgreSQL database that
several service nodes share (``DATABASES`` is the registry of backends by URL scheme); ``memory_state()``
gives the in-memory bundle for tests. Repositories are thread-safe and
block (SQLite, scrypt): the web layer calls them off the event loop (``run_in_threadpool``).

Who uses it: ``threatlake.service`` (operations composing repositories and the store), and through it the
web layer (``threatlake.web``; page routes are mounted in one list, ``threatlake.web.app.PAGES``), the
command line (``threatlake.cli``) and workflows. ``state`` imports ``model`` and ``errors`` only.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from threatlake.errors import ConfigError
from threatlake.state.connections import ConnectionRepository, MemoryConnections, SqliteConnections
from threatlake.state.credentials import Cipher, CredentialRepository, MemoryCredentials, SqliteCredentials
from threatlake.state.database import BUSY_SECONDS, Database
from threatlake.state.documents import LEGACY_FILE, DocumentRepository, MemoryDocuments, SqliteDocuments
from threatlake.state.leases import LeaseRepository, MemoryLeases, SqliteLeases
from threatlake.state.pipelines import FilePipelines, MemoryPipelines, PipelineRepository, SqlPipelines
from threatlake.state.query_results import MemoryQueryResults, QueryResultRepository, SqliteQueryResults
from threatlake.state.sessions import MemorySessions, SessionRepository, SqliteSessions
from threatlake.state.sqlite import FILE_NAME, SqliteDatabase
from threatlake.state.suppressions import MemorySuppressions, SqliteSuppressions, SuppressionRepository
from threatlake.state.tokens import MemoryTokens, SqliteTokens, TokenRepository
from threatlake.state.triage import MemoryTriage, SqliteTriage, TriageRepository
from threatlake.state.users import MemoryUsers, SqliteUsers, UserRepository
from threatlake.state.workflows import MemoryWorkflows, SqliteWorkflows

__all__ = ["DATABASES", "FILE_NAME", "Backing", "State", "memory_state", "open_state"]


@dataclass(frozen=True, slots=True)
class Backing:
    """What a durable repository is built on: the database, the data directory, the credentials cipher."""

    db: Database
    data_dir: Path
    cipher: Callable[[], Cipher]


def _made(on_db: Callable[[Database], Any], memory: Callable[[], Any]) -> dict[str, Any]:
    """A repository field's makers: on the data directory's database, and in memory."""
    return {"durable": lambda backing: on_db(backing.db), "memory": memory}


def _pipelines(backing: Backing) -> PipelineRepository:
    """Files in the data directory (to edit and review as files), or the shared database's table."""
    return SqlPipelines(backing.db) if backing.db.shared else FilePipelines(backing.data_dir)


def _made_on(durable: Callable[[Backing], Any], memory: Callable[[], Any]) -> dict[str, Any]:
    """The same for a repository that needs more than the database."""
    return {"durable": durable, "memory": memory}


@dataclass(frozen=True, eq=False)
class State:
    """Every repository, on one database. A new repository is one line here."""

    connections: ConnectionRepository = field(metadata=_made(SqliteConnections, MemoryConnections))
    tokens: TokenRepository = field(metadata=_made(SqliteTokens, MemoryTokens))
    users: UserRepository = field(metadata=_made(SqliteUsers, MemoryUsers))
    sessions: SessionRepository = field(metadata=_made(SqliteSessions, MemorySessions))
    credentials: CredentialRepository = field(
        metadata=_made_on(lambda b: SqliteCredentials(b.db, b.cipher), MemoryCredentials)
    )
    documents: DocumentRepository = field(
        metadata=_made_on(lambda b: SqliteDocuments(b.db, legacy=b.data_dir / LEGACY_FILE), MemoryDocuments)
    )
    triage: TriageRepository = field(metadata=_made(SqliteTriage, MemoryTriage))
    suppressions: SuppressionRepository = field(metadata=_made(SqliteSuppressions, MemorySuppressions))
    leases: LeaseRepository = field(metadata=_made(SqliteLeases, MemoryLeases))
    workflows: SqliteWorkflows | MemoryWorkflows = field(metadata=_made(SqliteWorkflows, MemoryWorkflows))
    pipelines: PipelineRepository = field(metadata=_made_on(_pipelines, MemoryPipelines))
    query_results: QueryResultRepository = field(metadata=_made(SqliteQueryResults, MemoryQueryResults))
    database: Database | None = None
    created: bool = False

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One atomic unit of work across repositories (nested ones join it)."""
        if self.database is not None:
            return self.database.transaction()
        return _memory_transaction()

    def close(self) -> None:
        if self.database is not None:
            self.database.close()


_MEMORY_LOCK = threading.RLock()


@contextlib.contextmanager
def _memory_transaction() -> Iterator[None]:
    """In memory, a transaction only serializes (each repository's change is atomic on its own)."""
    with _MEMORY_LOCK:
        yield


def _repositories() -> list[tuple[str, dict[str, Any]]]:
    return [(item.name, dict(item.metadata)) for item in fields(State) if "durable" in item.metadata]


def _sqlite(url: str, data_dir: Path, busy_seconds: float) -> Database:
    return SqliteDatabase.in_dir(data_dir, busy_seconds=busy_seconds)


def _postgresql(url: str, data_dir: Path, busy_seconds: float) -> Database:
    from threatlake.state.postgresql import PostgresDatabase  # psycopg loads only when it is used

    return PostgresDatabase(url, busy_seconds=busy_seconds)


#: The ``state`` setting's scheme -> how to open that database. A new backend is one line here.
DATABASES: dict[str, Callable[[str, Path, float], Database]] = {
    "sqlite": _sqlite,
    "postgresql": _postgresql,
    "postgres": _postgresql,
}


def _open_database(url: str, data_dir: Path, busy_seconds: float) -> Database:
    scheme = url.partition("://")[0] if "://" in url else url
    opener = DATABASES.get(scheme)
    if opener is None:
        raise ConfigError(
            f"unknown state database {scheme!r} in the state setting: `sqlite` (settings.sqlite in the data"
            " directory) or postgresql://user:password@host:5432/database"
        )
    return opener(url, data_dir, busy_seconds)


def open_state(
    data_dir: Path | str,
    *,
    database: str = "sqlite",
    credentials_key: str = "",
    busy_seconds: float = BUSY_SECONDS,
) -> State:
    """The state of a data directory (``settings.sqlite`` and ``pipelines/``, created when missing), or of
    the shared database ``database`` names (``postgresql://…``: every repository there, pipelines too).

    ``credentials_key`` (the ``credentials_key`` setting) overrides ``<data_dir>/credentials.key``, and a
    shared database needs it (each node's own key file could not read the others' credentials);
    ``busy_seconds`` bounds the wait for another process's write lock (then a retryable ``StoreError``)."""
    directory = Path(data_dir)
    db = _open_database(database or "sqlite", directory, busy_seconds)
    cipher: list[Cipher] = []

    def the_cipher() -> Cipher:  # made (and its key file written) on first use
        if not cipher:
            if db.shared and not credentials_key:
                raise ConfigError(
                    f"the shared state database {db.where} needs the credentials_key setting"
                    " (THREATLAKE_CREDENTIALS_KEY), the same on every node: a key file in one node's data"
                    " directory cannot decrypt the credentials another node stored"
                )
            cipher.append(Cipher.for_dir(directory, credentials_key))
        return cipher[0]

    backing = Backing(db, directory, the_cipher)
    try:
        built = {name: meta["durable"](backing) for name, meta in _repositories()}
    except BaseException:
        db.close()
        raise
    return State(**built, database=db, created=db.created)


def memory_state() -> State:
    """Every repository in memory (tests; ``:memory:`` stores)."""
    return State(**{name: meta["memory"]() for name, meta in _repositories()}, created=True)
