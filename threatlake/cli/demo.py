"""``threatlake demo remove|load``: the demo data (the bundled samples a first start stores).

The demo events live in the bucket ``demo_security_events`` (``threatlake.service.demo``), so ``remove``
deletes that bucket with every demo event and nothing else; while ``threatlake serve`` holds the store it
goes through the service (``DELETE /platform/buckets/demo_security_events``, a temporary ``settings:write``
token). ``load`` stores them again, moved into the present; it opens the store, so it runs while the
service is stopped (a later first start loads them by itself unless ``load_samples`` is off).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from threatlake.cli.bucket import BUCKETS_PATH, service_answer
from threatlake.cli.remote import ServiceClient, store_or_service
from threatlake.config import load_config
from threatlake.errors import ConfigError
from threatlake.samples import sample_files
from threatlake.service.demo import DEMO_BUCKET, load_demo, remove_demo
from threatlake.service.resources import open_configured_store

__all__ = ["HELP", "configure", "run"]

HELP = "remove the demo data (the bundled samples stored on first start), or load it again"


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("remove", help=f"delete the demo events (the bucket {DEMO_BUCKET})", parents=[common])
    actions.add_parser("load", help="store the demo events again, moved into the present", parents=[common])


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir)
    store = store_or_service(lambda: open_configured_store(config), config.data_dir)
    if isinstance(store, str):
        if args.action == "load":
            raise ConfigError(f"the service at {store} holds the store; stop it to load the demo data again")
        with ServiceClient(config.data_dir, store, "settings:write", database=config.state) as client:
            status, body = client.call("DELETE", f"{BUCKETS_PATH}/{DEMO_BUCKET}")
            removed = None if status == 404 else service_answer(client, (status, body))["deletedEvents"]
    else:
        try:
            if args.action == "load":
                written = load_demo(store, sample_files(), datetime.now(UTC))
                print(f"demo data loaded: {written.stored} events in bucket {DEMO_BUCKET!r}", file=sys.stderr)
                return 0
            removed = remove_demo(store)
        finally:
            store.close()
    if removed is None:
        print(f"no demo data in {config.data_dir} (no bucket {DEMO_BUCKET!r})", file=sys.stderr)
    else:
        print(f"demo data removed: {removed} events (bucket {DEMO_BUCKET!r} deleted)", file=sys.stderr)
    return 0
