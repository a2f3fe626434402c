"""``threatlake migrate [--store URL] [--cluster NAME] [--print]``: create or complete the store's schema.

The one schema description (``store/schema.py``) rendered by the store's backend as numbered migrations
(``store/migrations.py``): each one the store does not record in ``threatlake_migrations`` runs and is
recorded; the others are skipped, so running it again applies nothing. ``--cluster NAME`` builds the
ClickHouse cluster form (``ON CLUSTER NAME``: replicated ``*_local`` tables under ``Distributed`` ones, see
``docs/scale-out.md``); the DuckDB store has none and refuses it. ``--print`` writes the DDL to stdout
instead, without reaching the store. Every store is migrated when it is opened (``serve`` included), in its
current form, so this command is needed only for a cluster's first migration or to see the DDL.
"""

from __future__ import annotations

import argparse
import sys

from threatlake.config import load_config
from threatlake.service.resources import STORE_HELP, open_configured_store
from threatlake.store import MigrationReport, store_plan
from threatlake.store.migrations import script

__all__ = ["HELP", "configure", "run"]

HELP = "create or complete the store's schema (single-node or ClickHouse cluster DDL); --print shows it"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    parser.add_argument("--store", metavar="URL", help=STORE_HELP)
    parser.add_argument(
        "--cluster",
        metavar="NAME",
        help="build the ClickHouse cluster form ON CLUSTER NAME (a cluster of the servers' remote_servers)",
    )
    parser.add_argument(
        "--print", action="store_true", help="print the DDL to stdout instead of applying it (no connection)"
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, store=args.store)
    location = config.data_dir if config.store == "duckdb" else config.store
    plan = store_plan(location, args.cluster)  # a cluster the backend refuses fails here, store untouched
    if args.print:
        sys.stdout.write(script(plan))
        return 0
    store = open_configured_store(config, migrate=False)
    try:
        outcome = store.migrate(args.cluster)
    finally:
        store.close()
    _say(outcome, args.cluster)
    return 0


def _say(outcome: MigrationReport, cluster: str | None) -> None:
    form = f"on cluster {cluster!r}" if cluster else "in the store's form"
    for migration in outcome.applied:
        print(f"migration {migration.version} ({migration.name}): applied {form}")
    for migration in outcome.skipped:
        print(f"migration {migration.version} ({migration.name}): already applied")
    for migration in outcome.changed:
        print(
            f"warning: migration {migration.version} ({migration.name}) was applied with other statements "
            "than it has now (the schema changed since); its tables are not altered",
            file=sys.stderr,
        )
    applied, skipped = len(outcome.applied), len(outcome.skipped)
    print(f"{applied} applied, {skipped} already applied", file=sys.stderr)
