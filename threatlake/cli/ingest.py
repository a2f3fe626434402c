"""``threatlake ingest [--data-dir DIR] FILE... | -``: map findings like ``map`` does, and store them.

Prints one JSON summary ``{"received", "stored", "duplicates", "rejected", "errors"}``: ``received``
counts the findings read, ``errors`` lists each rejection as ``location: reason``. Ingesting the same input
twice stores nothing new (an event's id is a hash of the finding version). A file that cannot be read or
decoded is a rejection like a malformed finding: the other files are still stored. Exit 0 when nothing was
rejected, 1 when something was, 2 on usage errors. While ``threatlake serve`` holds the store, the findings
go to that service's ingest endpoint instead (``cli/service.py``), so its pipelines apply.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import orjson

from threatlake.cli.inputs import read_inputs
from threatlake.cli.service import ServiceClient, store_or_service
from threatlake.config import Config, load_config
from threatlake.errors import SourceError, StoreError
from threatlake.model import Event
from threatlake.pipeline.mapping import IngestContext, Rejection, map_bytes
from threatlake.sources.decode import decode
from threatlake.store import Store, WriteResult, open_store

__all__ = ["BATCH_SIZE", "HELP", "IngestSummary", "configure", "ingest", "open_configured_store", "run"]

HELP = "map findings and store them; prints a JSON summary"

#: Events handed to the store per write: large batches amortize the durable commit.
BATCH_SIZE = 50_000
#: Through a running service: findings per request body, well under its default 10 MiB limit.
CHUNK_BYTES = 4 * 1024 * 1024
INGEST_PATH = "/platform/ingest/v1/security.events"
INGEST_SCOPE = "openpipeline.events_security"
_ATTEMPTS = 6
_INDEX = re.compile(r"^(?:\[(\d+)\])?(.*)$")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="input files or directories; '-' is stdin")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )


class IngestSummary:
    """Counts of one ingest run, printed as the command's JSON summary."""

    def __init__(self) -> None:
        self.received = 0
        self.written = WriteResult()
        self.rejections: list[Rejection] = []

    def as_dict(self) -> dict[str, object]:
        return {
            "received": self.received,
            "stored": self.written.stored,
            "duplicates": self.written.duplicates,
            "rejected": len(self.rejections),
            "errors": [str(rejection) for rejection in self.rejections],
        }


def received_at() -> datetime:
    """The receive time of this run (the one place the command reads the clock)."""
    return datetime.now(UTC)


def ingest(
    store: Store, inputs: Iterator[tuple[str, bytes]], ctx: IngestContext, batch_size: int = BATCH_SIZE
) -> IngestSummary:
    """Map every input and write the events to ``store`` in batches of about ``batch_size`` events.

    One batch is written on a background thread while the next is mapped (the store's commit releases the
    GIL), and at most one batch waits: memory stays bounded and a write error stops the run.
    """
    summary = IngestSummary()
    pending: list[Event] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="threatlake-writer") as writer:
        writing: Future[WriteResult] | None = None
        for name, data in inputs:
            batch = map_bytes(data, ctx, name)
            summary.received += batch.findings
            summary.rejections.extend(batch.rejections)
            pending.extend(batch.events)
            if len(pending) >= batch_size:
                if writing is not None:
                    summary.written += writing.result()
                writing, pending = writer.submit(store.write, pending), []
        if writing is not None:
            summary.written += writing.result()
    if pending:
        summary.written += store.write(pending)
    return summary


def ingest_through_service(
    client: ServiceClient, inputs: Iterator[tuple[str, bytes]], chunk_bytes: int = CHUNK_BYTES
) -> IngestSummary:
    """Send every input's findings to the running service's ingest endpoint (it maps, runs the pipelines
    and stores, durably, before it answers), in JSON arrays of at most ``chunk_bytes``; an answer's errors
    are located back in the input (``file line 3[2].detail: ...``)."""
    summary = IngestSummary()
    for name, data in inputs:
        parts: list[tuple[str, bytes]] = []
        try:
            for item in decode(data):
                if isinstance(item, SourceError):
                    summary.rejections.append(_located(item, name))
                elif isinstance(item[1], list):  # an array file: its entries go one by one
                    parts.extend((f"{item[0]}[{i}]", orjson.dumps(entry)) for i, entry in enumerate(item[1]))
                else:
                    parts.append((item[0], orjson.dumps(item[1])))
        except SourceError as error:
            summary.rejections.append(_located(error, name))
        for chunk in _chunks(parts, chunk_bytes):
            _send(client, name, chunk, summary)
    return summary


def _chunks(parts: list[tuple[str, bytes]], limit: int) -> Iterator[list[tuple[str, bytes]]]:
    chunk: list[tuple[str, bytes]] = []
    size = 0
    for part in parts:
        if chunk and size + len(part[1]) > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(part)
        size += len(part[1]) + 1
    if chunk:
        yield chunk


def _send(client: ServiceClient, name: str, chunk: list[tuple[str, bytes]], summary: IngestSummary) -> None:
    body = b"[" + b",".join(data for _, data in chunk) + b"]"
    for attempt in range(_ATTEMPTS):
        status, answer = client.call("POST", INGEST_PATH, body)
        if status not in (429, 503) or attempt == _ATTEMPTS - 1:
            break
        time.sleep(min(2**attempt, 10))  # the writer is busy or the service is starting: back off
    details = answer.get("error", {}).get("details", {}) if status >= 400 else answer
    if status not in (202, 400) or (status == 400 and "errors" not in details):
        message = answer.get("error", {}).get("message", answer)
        raise StoreError(f"the service at {client.url} refused {name}: {status} {message}")
    summary.received += details.get("accepted", 0) + details.get("rejected", 0)
    summary.written += WriteResult(details.get("stored", 0), details.get("duplicates", 0))
    for error in details.get("errors", []):
        location, inner = _INDEX.match(error.get("location", "")).groups()  # type: ignore[union-attr]
        where = chunk[int(location)][0] + inner if location else inner
        summary.rejections.append(Rejection(f"{name} {where}".strip(), error.get("message", "")))


def _located(error: SourceError, name: str) -> Rejection:
    located = error.at(name)
    return Rejection(located.location, located.reason)


def _readable(names: list[str], rejections: list[Rejection]) -> Iterator[tuple[str, bytes]]:
    """Each named input; one that cannot be read becomes a rejection and the others are still read."""
    for name in names or ["-"]:
        try:
            yield from read_inputs([name])
        except SourceError as error:
            rejections.append(Rejection(error.location, error.reason))


def open_configured_store(config: Config) -> Store:
    """The store the settings name: the embedded one in the data directory, or a backend URL."""
    return open_store(config.data_dir if config.store == "duckdb" else config.store)


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir)
    ctx = IngestContext(received_at=received_at(), source="threatlake ingest")
    unreadable: list[Rejection] = []
    store = store_or_service(lambda: open_configured_store(config), config.data_dir)
    if isinstance(store, str):
        with ServiceClient(config.data_dir, store, INGEST_SCOPE) as client:
            summary = ingest_through_service(client, _readable(list(args.files), unreadable))
    else:
        try:
            summary = ingest(store, _readable(list(args.files), unreadable), ctx)
        finally:
            store.close()
    summary.rejections.extend(unreadable)
    sys.stdout.buffer.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_APPEND_NEWLINE))
    sys.stdout.flush()
    return 1 if summary.rejections else 0
