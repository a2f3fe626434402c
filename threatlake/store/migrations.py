"""Schema migrations: numbered groups of idempotent DDL, applied once and recorded in the store.

Each backend renders the one schema description (``store/schema.py``) as a *plan*: a list of ``Migration``
(version, name, statements), single-node or cluster. ``Store.migrate`` creates ``threatlake_migrations``
(version, name, applied_at, checksum), runs the migrations of the plan it does not record, in version order,
and records each after its statements ran. Every statement is ``IF NOT EXISTS``, so a migration cut short
(or two processes migrating at once) runs again harmlessly. A recorded migration whose statements have
changed since (a field added to the catalogue) is reported, never re-run: its tables are not altered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from threatlake.errors import StoreError

__all__ = ["MIGRATIONS", "Migration", "MigrationReport", "Plan", "check_plan", "report", "script"]

#: The table recording applied migrations, in every backend.
MIGRATIONS = "threatlake_migrations"


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of a plan: ``statements`` run in order; ``checksum`` identifies exactly that text."""

    version: int
    name: str
    statements: tuple[str, ...]

    @property
    def checksum(self) -> str:
        return hashlib.sha256("\n;\n".join(self.statements).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Plan:
    """A backend's whole schema: ``bootstrap`` (the database, ``threatlake_migrations``; run every time,
    never recorded), then the numbered ``migrations``."""

    bootstrap: tuple[str, ...]
    migrations: tuple[Migration, ...]


@dataclass(frozen=True, slots=True)
class MigrationReport:
    """What one ``migrate`` did: the migrations it ran, those already recorded, and those of the recorded
    ones whose text has changed since they were applied."""

    applied: tuple[Migration, ...] = ()
    skipped: tuple[Migration, ...] = ()
    changed: tuple[Migration, ...] = ()


def check_plan(plan: Sequence[Migration]) -> Sequence[Migration]:
    """``plan`` itself, once its versions are checked to be unique and increasing (a programming error)."""
    versions = [migration.version for migration in plan]
    if versions != sorted(set(versions)):
        raise StoreError(f"migration plan: versions must be unique and increasing, got {versions}")
    return plan


def report(plan: Sequence[Migration], recorded: Mapping[int, str]) -> MigrationReport:
    """Split ``plan`` by ``recorded`` (version → checksum): what to apply and what to skip."""
    to_apply = tuple(migration for migration in plan if migration.version not in recorded)
    skipped = tuple(migration for migration in plan if migration.version in recorded)
    changed = tuple(migration for migration in skipped if recorded[migration.version] != migration.checksum)
    return MigrationReport(to_apply, skipped, changed)


def script(plan: Plan) -> str:
    """The plan as one SQL script (``threatlake migrate --print``): a comment line per migration."""
    parts = ["-- bootstrap (every run): the database and the migrations table\n"]
    parts += [f"{statement};\n\n" for statement in plan.bootstrap]
    for migration in plan.migrations:
        parts.append(f"-- migration {migration.version}: {migration.name}\n")
        parts += [f"{statement};\n\n" for statement in migration.statements]
    return "".join(parts)
