"""``threatlake bucket list|create|delete|sweep``: the buckets of the store in ``--data-dir``.

A bucket is a named retention class (``dt.system.bucket``): pipelines route events to it, the retention
sweep deletes its events received more than its retention ago. The service sweeps by itself every
``retention_sweep_seconds``; ``sweep`` runs one now. While ``threatlake serve`` holds the store, ``list``,
``create`` and ``delete`` go through its REST resource ``/platform/buckets`` (``cli/remote.py``, a temporary
``settings:read`` or ``settings:write`` token); ``sweep`` then says that the service sweeps by itself.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from datetime import UTC, datetime
from typing import Any

import orjson

from threatlake.cli.remote import ServiceClient, store_or_service
from threatlake.config import Config, load_config
from threatlake.errors import ConfigError, RequestError
from threatlake.pipeline.definitions import NAME
from threatlake.service.resources import STORE_HELP, open_configured_store
from threatlake.store import Bucket, Store

__all__ = ["BUCKETS_PATH", "HELP", "check_bucket_name", "configure", "run", "service_answer"]

HELP = "list, create and delete buckets (retention classes); sweep expired events now"

BUCKETS_PATH = "/platform/buckets"
#: action → the scope its REST call needs while the service runs (``sweep`` has none: the service sweeps)
_SCOPES = {"list": "settings:read", "create": "settings:write", "delete": "settings:write"}


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
    store = store_or_service(lambda: open_configured_store(config), config.data_dir)
    if isinstance(store, str):
        return _through_service(args, config, store)
    now = datetime.now(UTC)
    try:
        if args.action == "create":
            bucket = store.create_bucket(check_bucket_name(args.name), args.retention_days, now=now)
            _created(bucket.name, bucket.retention_days)
        elif args.action == "delete":
            _deleted(args.name, store.delete_bucket(args.name))
        elif args.action == "sweep":
            print(orjson.dumps({"deleted": store.sweep_retention(now)}).decode())
        else:
            _list(store)
    finally:
        store.close()
    return 0


def _through_service(args: argparse.Namespace, config: Config, url: str) -> int:
    if args.action == "sweep":
        raise ConfigError(
            f"the service at {url} holds the store and sweeps it by itself every "
            f"{config.retention_sweep_seconds:g} s (retention_sweep_seconds); stop it to sweep now"
        )
    with ServiceClient(config.data_dir, url, _SCOPES[args.action], database=config.state) as client:
        if args.action == "create":
            body = orjson.dumps({"name": check_bucket_name(args.name), "retentionDays": args.retention_days})
            created = service_answer(client, client.call("POST", BUCKETS_PATH, body))
            _created(created["name"], created["retentionDays"])
        elif args.action == "delete":
            path = f"{BUCKETS_PATH}/{urllib.parse.quote(args.name, safe='')}"
            _deleted(args.name, service_answer(client, client.call("DELETE", path))["deletedEvents"])
        else:
            for line in service_answer(client, client.call("GET", BUCKETS_PATH))["buckets"]:
                print(orjson.dumps(line).decode())
    return 0


def service_answer(client: ServiceClient, reply: tuple[int, Any]) -> Any:
    """The body of a successful answer; an error answer becomes the service's own message."""
    status, body = reply
    if status >= 400:
        message = body.get("error", {}).get("message", body) if isinstance(body, dict) else body
        raise RequestError(f"{message} (the service at {client.url} answered {status})")
    return body


def _created(name: str, days: int) -> None:
    print(f"bucket {name!r} created: events kept {days} days", file=sys.stderr)


def _deleted(name: str, events: int) -> None:
    print(f"bucket {name!r} deleted with its {events} events", file=sys.stderr)


def _view(bucket: Bucket) -> dict[str, Any]:
    return {"name": bucket.name, "retentionDays": bucket.retention_days, "created": bucket.created}


def _list(store: Store) -> None:
    for bucket in store.list_buckets():
        print(orjson.dumps(_view(bucket)).decode())
