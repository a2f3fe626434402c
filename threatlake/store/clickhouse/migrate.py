"""Applying the ClickHouse schema plan (``schema.plan``) and finding the form a store already has.

``apply`` creates the database and ``threatlake_migrations`` (``schema.bootstrap``), then runs each
migration the table does not record and records it (version, name, applied_at, checksum). The table is a
``ReplacingMergeTree`` on the version and read with ``final``, so two processes migrating at once leave one
row per migration. ``found_cluster`` reads ``events``' engine: the cluster of a ``Distributed`` table.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from threatlake.errors import StoreError
from threatlake.store.clickhouse.client import Client
from threatlake.store.clickhouse.schema import Target, bootstrap, plan
from threatlake.store.migrations import MIGRATIONS, MigrationReport, report
from threatlake.store.schema import EVENTS

__all__ = ["apply", "events_engine", "found_cluster"]

#: A ``Distributed`` table's engine as ``system.tables`` shows it: the cluster is the first argument.
_DISTRIBUTED = re.compile(r"^Distributed\('([^']+)'")
_READ = {"final": 1}


def events_engine(client: Client, database: str) -> str | None:
    """``events``' full engine clause in ``database`` (None: no store there yet)."""
    found = client.query(
        "SELECT engine_full FROM system.tables WHERE database = {d:String} AND name = {t:String}",
        {"d": database, "t": EVENTS},
        {},
    ).column("engine_full")
    return str(found[0].as_py()) if len(found) else None


def found_cluster(engine: str | None) -> str | None:
    match = _DISTRIBUTED.match(engine) if engine else None
    return match[1] if match else None


def apply(client: Client, target: Target, name: str) -> MigrationReport:
    """Run the migrations of ``target``'s plan that the store does not record; refuse to build a second
    form of a store (cluster beside single-node tables, or another cluster) on one database."""
    engine = events_engine(client, target.database)
    held = found_cluster(engine)
    if engine is not None and held != target.cluster:
        where = f"is distributed over cluster {held!r}" if held else "has single-node tables"
        asked = f"--cluster {target.cluster}" if target.cluster else "single-node DDL"
        raise StoreError(
            f"{name}: the store already exists and {where}; {asked} would build another form of it beside "
            "them. Moving a store between forms is a data migration (copy the events into a new database), "
            "not a schema one"
        )
    for statement in bootstrap(target):
        client.command(statement)
    done = client.query(f"SELECT version, checksum FROM {MIGRATIONS} ORDER BY version", {}, _READ)
    outcome = report(plan(target), {row["version"]: row["checksum"] for row in done.to_pylist()})
    for migration in outcome.applied:
        for statement in migration.statements:
            client.command(statement)
        values: dict[str, Any] = {
            "v": migration.version,
            "n": migration.name,
            "a": datetime.now(UTC).replace(tzinfo=None),
            "c": migration.checksum,
        }
        client.command(
            f"INSERT INTO {MIGRATIONS} (version, name, applied_at, checksum) VALUES "
            "({v:UInt32}, {n:String}, {a:DateTime64(6)}, {c:String})",
            values,
        )
    return outcome
