"""``threatlake ingest [--data-dir DIR] FILE... | -``: map findings like ``map`` does, and store them.

Prints one JSON summary ``{"received", "stored", "duplicates", "rejected", "errors"}``: ``received``
counts the findings read, ``errors`` lists each rejection as ``location: reason``. Ingesting the same input
twice stores nothing new (an event's id is a hash of the finding version). A file that cannot be read or
decoded is a rejection like a malformed finding: the other files are still stored. Exit 0 when nothing was
rejected, 1 when something was, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import orjson

from threatlake.cli.inputs import read_inputs
from threatlake.config import Config, load_config
from threatlake.errors import SourceError
from threatlake.model import Event
from threatlake.pipeline.mapping import IngestContext, Rejection, map_bytes
from threatlake.store import Store, WriteResult, open_store

__all__ = ["BATCH_SIZE", "HELP", "IngestSummary", "configure", "ingest", "open_configured_store", "run"]

HELP = "map findings and store them; prints a JSON summary"

#: Events handed to the store per write: large batches amortize the durable commit.
BATCH_SIZE = 50_000


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
    store = open_configured_store(config)
    try:
        summary = ingest(store, _readable(list(args.files), unreadable), ctx)
    finally:
        store.close()
    summary.rejections.extend(unreadable)
    sys.stdout.buffer.write(orjson.dumps(summary.as_dict(), option=orjson.OPT_APPEND_NEWLINE))
    sys.stdout.flush()
    return 1 if summary.rejections else 0
