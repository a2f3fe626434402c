"""``threatlake bucket list|create|delete|sweep``: the buckets of the store in ``--data-dir``.

A bucket is a named retention class (``dt.system.bucket``): pipelines route events to it, the retention
sweep deletes its events received more than its retention ago. The service sweeps by itself every
``retention_sweep_seconds``; ``sweep`` runs one now. Like ``ingest``, these open the store, so run them
while ``threatlake serve`` is stopped, or use the REST resource ``/platform/buckets`` while it runs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

import orjson

from threatlake.config import load_config
from threatlake.errors import ConfigError
from threatlake.pipeline.definitions import NAME
from threatlake.service.resources import STORE_HELP, open_configured_store

__all__ = ["HELP", "check_bucket_name", "configure", "run"]

HELP = "list, create and delete buckets (retention classes); sweep expired events now"


def check_bucket_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ConfigError(f"invalid bucket name {name[:100]!r}: 1 to 100 letters, digits, '.', '_' or '-'")
    return name


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    common.add_argument("--store", metavar="URL", help=STORE_HELP)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="list buckets as JSON lines", parents=[common])
    create = actions.add_parser("create", help="create a bucket", parents=[common])
    create.add_argument("name", metavar="NAME", help="1 to 100 letters, digits, '.', '_' or '-'")
    create.add_argument(
        "--retention-days", type=int, required=True, metavar="N", help="days its events are kept (at least 1)"
    )
    delete = actions.add_parser("delete", help="delete a bucket and its events", parents=[common])
    delete.add_argument("name", metavar="NAME")
    actions.add_parser("sweep", help="delete every bucket's expired events now", parents=[common])


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, store=args.store)
    store = open_configured_store(config)
    now = datetime.now(UTC)
    try:
        if args.action == "create":
            bucket = store.create_bucket(check_bucket_name(args.name), args.retention_days, now=now)
            print(
                f"bucket {bucket.name!r} created: events kept {bucket.retention_days} days", file=sys.stderr
            )
        elif args.action == "delete":
            deleted = store.delete_bucket(args.name)
            print(f"bucket {args.name!r} deleted with its {deleted} events", file=sys.stderr)
        elif args.action == "sweep":
            print(orjson.dumps({"deleted": store.sweep_retention(now)}).decode())
        else:
            for bucket in store.list_buckets():
                line = {
                    "name": bucket.name,
                    "retentionDays": bucket.retention_days,
                    "created": bucket.created,
                }
                print(orjson.dumps(line).decode())
    finally:
        store.close()
    return 0
