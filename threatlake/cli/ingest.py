"""``threatlake ingest [--data-dir DIR] [--connection C] FILE... | -``: map findings, run pipelines, store.

Prints one JSON summary ``{"received", "stored", "duplicates", "rejected", "errors"}``: ``received``
counts the findings read, ``errors`` lists each rejection as ``location: reason``. The findings take the
same path as HTTP ingest (``threatlake.service.ingest``): the built-in endpoint's pipeline runs, the
connection (``--connection``, default ``default``, like the first-start token's) counts the events, and the
new-event hooks fire. Ingesting the same input twice stores nothing new (an event's id is a hash of the
finding version). A file that cannot be read or decoded is a rejection like a malformed finding: the other
files are still stored. Exit 0 when nothing was rejected, 1 when something was, 2 on usage errors. While
``threatlake serve`` holds the store, the findings go to that service's ingest endpoint instead
(``cli/remote.py``), with a temporary token of the same connection. Several files show their progress on
standard error (``cli/progress.py``): a bar on a terminal, a line per file otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar

import orjson

from threatlake.cli.inputs import count_inputs, read_inputs, stream_inputs
from threatlake.cli.progress import Progress
from threatlake.cli.remote import ServiceClient, store_or_service
from threatlake.config import load_config
from threatlake.errors import SourceError, StoreError
from threatlake.pipeline.mapping import IngestContext, Rejection
from threatlake.service.ingest import IngestSummary, ingest_inputs, local_ingest
from threatlake.service.resources import STORE_HELP, open_configured_state, open_configured_store
from threatlake.sources.decode import decode
from threatlake.state.tokens import DEFAULT_CONNECTION, INGEST_SCOPE
from threatlake.store import WriteResult

__all__ = ["HELP", "configure", "ingest_through_service", "received_at", "run"]

HELP = "map findings, run the pipelines and store the events; prints a JSON summary"

#: Through a running service: findings per request body, well under its default 10 MiB limit.
CHUNK_BYTES = 4 * 1024 * 1024
INGEST_PATH = "/platform/ingest/v1/security.events"
_ATTEMPTS = 6
_INDEX = re.compile(r"^(?:\[(\d+)\])?(.*)$")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="input files or directories; '-' is stdin")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    parser.add_argument("--store", metavar="URL", help=STORE_HELP)
    parser.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    parser.add_argument(
        "--connection",
        metavar="C",
        default=DEFAULT_CONNECTION,
        help="the connection the events come from (dt.ingest.connection; default 'default')",
    )


def received_at() -> datetime:
    """The receive time of this run (the one place the command reads the clock)."""
    return datetime.now(UTC)


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
    summary.count(WriteResult(details.get("stored", 0), details.get("duplicates", 0)))
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


_Input = TypeVar("_Input")  # an input's content: its bytes, or its chunks as read


def _reported(inputs: Iterator[tuple[str, _Input]], progress: Progress) -> Iterator[tuple[str, _Input]]:
    """The inputs, each counted on ``progress`` once done (when the next one is asked for)."""
    for done, (name, data) in enumerate(inputs, start=1):
        yield name, data
        last = name.rsplit("/", 1)[-1]
        progress.advance(1, f"{done} file{'s' if done != 1 else ''}, last {last[:40]}")


def _streamed(names: list[str], rejections: list[Rejection]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """``_readable``, each input as its chunks (mapped as they are read: memory flat in a file's size)."""
    for name in names or ["-"]:
        try:
            yield from stream_inputs([name])
        except SourceError as error:
            rejections.append(Rejection(error.location, error.reason))


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, store=args.store, state=args.state)
    now = received_at()
    ctx = IngestContext(received_at=now, source="threatlake ingest", connection=args.connection)
    unreadable: list[Rejection] = []
    names = list(args.files)
    total = count_inputs(names)
    store = store_or_service(lambda: open_configured_store(config), config.data_dir)
    with Progress(sys.stderr) as progress:
        if total > 1:  # one file needs no bar
            progress.task("ingest", total)
        if isinstance(store, str):
            inputs = _readable(names, unreadable)
            with ServiceClient(
                config.data_dir, store, INGEST_SCOPE, connection=args.connection, database=config.state
            ) as client:
                summary = ingest_through_service(client, _reported(inputs, progress) if total > 1 else inputs)
        else:
            try:
                state = open_configured_state(config)
                try:
                    streams = _streamed(names, unreadable)  # mapped as read: memory flat in a file's size
                    if total > 1:
                        streams = _reported(streams, progress)
                    with local_ingest(store, state, connection=args.connection, now=now) as ingest:
                        summary = ingest_inputs(ingest, streams, ctx)
                finally:
                    state.close()
            finally:
                store.close()
    summary.rejections.extend(unreadable)
    sys.stdout.buffer.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_APPEND_NEWLINE))
    sys.stdout.flush()
    return 1 if summary.rejections else 0
