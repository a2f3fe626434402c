"""Buckets: ``GET|POST /platform/buckets``, ``DELETE /platform/buckets/{name}``, and the retention sweep.

A bucket is a retention class (``dt.system.bucket``): pipelines route events to it and the sweep deletes
its events received more than its retention ago. The service sweeps every ``retention_sweep_seconds``
(``sweeper``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.errors import ConflictError, NotFoundError, RequestError, StoreError
from threatlake.pipeline.definitions import NAME
from threatlake.store import Bucket, Store
from threatlake.store.duckdb import MAX_RETENTION_DAYS
from threatlake.web.auth import authorize
from threatlake.web.body import read_json_object
from threatlake.web.services import services

__all__ = ["ROUTES", "sweeper"]

_MAX_BODY = 16 * 1024
log = logging.getLogger("threatlake.retention")


def _view(bucket: Bucket) -> dict[str, Any]:
    return {"name": bucket.name, "retentionDays": bucket.retention_days, "created": bucket.created}


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


async def list_buckets(request: Request) -> Response:
    authorize(request, "settings:read")
    store = services(request).store
    buckets = await run_in_threadpool(store.list_buckets)
    return _json({"buckets": [_view(bucket) for bucket in buckets]})


async def create_bucket(request: Request) -> Response:
    authorize(request, "settings:write")
    body = await read_json_object(request, _MAX_BODY)
    name, days = body.get("name"), body.get("retentionDays")
    if not isinstance(name, str):
        raise RequestError("'name' must be a string", {"field": "name"})
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_RETENTION_DAYS:
        raise RequestError(
            f"'retentionDays' must be a whole number of days from 1 to {MAX_RETENTION_DAYS}",
            {"field": "retentionDays"},
        )
    if not NAME.fullmatch(name):
        raise RequestError("A bucket name has 1 to 100 letters, digits, '.', '_' or '-'", {"field": "name"})
    store = services(request).store
    if any(bucket.name == name for bucket in await run_in_threadpool(store.list_buckets)):
        raise ConflictError(f"bucket {name!r} already exists", {"name": name})
    bucket = await run_in_threadpool(lambda: store.create_bucket(name, days, now=datetime.now(UTC)))
    return _json(_view(bucket), 201)


async def delete_bucket(request: Request) -> Response:
    authorize(request, "settings:write")
    name = request.path_params["name"]
    store = services(request).store
    if not any(bucket.name == name for bucket in await run_in_threadpool(store.list_buckets)):
        raise NotFoundError(f"no bucket {name[:100]!r}", {"name": name[:100]})
    try:
        deleted = await run_in_threadpool(store.delete_bucket, name)
    except StoreError as error:  # the default bucket
        raise RequestError(error.message, {"name": name}) from None
    return _json({"name": name, "deletedEvents": deleted})


async def sweeper(store: Store, every: float) -> None:
    """Sweep expired events every ``every`` seconds, first right at start; runs until cancelled."""
    while True:
        try:
            deleted = await run_in_threadpool(store.sweep_retention, datetime.now(UTC))
            log.info("retention sweep", extra={"fields": {"deleted": deleted}})
        except StoreError as error:  # logged and retried at the next turn; ingest goes on
            log.error("retention sweep failed", extra={"fields": {"error": error.message}})
        await asyncio.sleep(every)


ROUTES = [
    Route("/platform/buckets", list_buckets, methods=["GET"]),
    Route("/platform/buckets", create_bucket, methods=["POST"]),
    Route("/platform/buckets/{name}", delete_bucket, methods=["DELETE"]),
]
