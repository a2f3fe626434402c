"""``threatlake backfill guardduty|securityhub``: pull existing findings from the AWS APIs into the store.

For each region, the service's readers (``threatlake.aws``) yield pages of findings; each page is mapped like
``ingest`` maps a file (source ``backfill:<service>``, connection ``backfill``), run through the built-in
pipeline, counted for the connection and written at once (``threatlake.service.ingest``, the path of every
ingest, new-event hooks included), so an error loses nothing already fetched. Prints the ``ingest`` JSON
summary plus ``warnings`` (an API that is not offered somewhere) and ``aborted`` (the AWS error that stopped
the run, or null). A progress line per region goes to standard error. Exit 0, 1 when some findings were
rejected, 2 on usage and AWS errors.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from threatlake.aws import AwsError, UnavailableApiError, connect, guardduty, resolve_regions, securityhub
from threatlake.cli.query import parse_time
from threatlake.config import load_config
from threatlake.pipeline.mapping import IngestContext, map_documents
from threatlake.service.ingest import Ingest, IngestSummary, local_ingest
from threatlake.service.resources import open_configured_state, open_configured_store

__all__ = ["HELP", "READERS", "Reader", "configure", "connect_client", "received_at", "run"]

HELP = "pull existing findings from the GuardDuty or Security Hub API into the store"

Pages = Iterator[list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Reader:
    """One API a backfill reads: its name, its page generator, and whether a region may lack it."""

    api: str
    pages: Callable[..., Pages]
    optional: bool = False


#: service → (boto3 service name, the APIs read, in order). Adding a service touches one line here.
READERS: dict[str, tuple[str, tuple[Reader, ...]]] = {
    "guardduty": ("guardduty", (Reader("GetFindings", guardduty.finding_pages),)),
    "securityhub": (
        "securityhub",
        (
            Reader("GetFindings", securityhub.asff_pages),
            Reader("GetFindingsV2", securityhub.ocsf_pages, optional=True),
        ),
    ),
}

_BARE_RELATIVE = re.compile(r"\d+\s*(?:ms|s|m|h|d|w)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", choices=sorted(READERS), help="the API to read findings from")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    parser.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    parser.add_argument(
        "--region",
        dest="regions",
        metavar="R",
        nargs="+",
        action="extend",
        help="AWS regions to read (repeatable; default: the profile's or $AWS_REGION)",
    )
    parser.add_argument("--since", metavar="T", help="only findings updated since T (ISO 8601, 7d or -7d)")
    parser.add_argument("--profile", metavar="P", help="the AWS profile (default: the standard chain)")
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="the API endpoint (LocalStack, moto, a VPC endpoint)"
    )


def received_at() -> datetime:
    """The receive time of this run (the one place the command reads the clock)."""
    return datetime.now(UTC)


def connect_client(service: str, region: str, args: argparse.Namespace) -> Any:
    """The boto3 client a run reads through (tests replace it with one on a fake transport)."""
    return connect(service, region, profile=args.profile, endpoint_url=args.endpoint_url)


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, state=args.state)
    now = received_at()
    since = _since(args.since, now) if args.since else None
    boto_service, readers = READERS[args.service]
    regions = resolve_regions(
        boto_service, args.regions, profile=args.profile, endpoint_url=args.endpoint_url
    )
    ctx = IngestContext(received_at=now, source=f"backfill:{args.service}", connection="backfill")
    summary = IngestSummary()
    warnings: list[str] = []
    aborted: str | None = None
    progress = _Progress(sys.stderr, args.service)
    store = open_configured_store(config)
    state = open_configured_state(config)
    try:
        with local_ingest(store, state, connection=ctx.connection, now=now) as ingest:
            for region in regions:
                progress.start(region)
                try:
                    client = connect_client(boto_service, region, args)
                    for reader in readers:
                        pages = reader.pages(client, since=since, until=now)
                        try:
                            _backfill(ingest, pages, ctx, summary, progress)
                        except UnavailableApiError as error:
                            if not reader.optional:
                                raise
                            warnings.append(f"{reader.api} not available in {region}: {error.reason}")
                except AwsError as error:
                    aborted = str(error)
                    break
                finally:
                    progress.finish()
    finally:
        state.close()
        store.close()
    for warning in warnings:
        print(f"threatlake backfill: {warning}", file=sys.stderr)
    if aborted:
        print(f"threatlake backfill: {aborted} (what was fetched before is stored)", file=sys.stderr)
    result = {**summary.as_dict(), "warnings": warnings, "aborted": aborted}
    sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_APPEND_NEWLINE))
    sys.stdout.flush()
    if aborted:
        return 2
    return 1 if summary.rejections else 0


def _backfill(
    ingest: Ingest, pages: Pages, ctx: IngestContext, summary: IngestSummary, progress: _Progress
) -> None:
    """Map, process and store each page as it comes: a later error loses nothing already fetched."""
    for number, page in enumerate(pages, start=1):
        batch = map_documents(page, ctx, f"{progress.region} page {number}")
        processed = ingest.process(batch, ctx.received_at)
        summary.add(batch, processed)
        written = ingest.write(processed.events)
        summary.count(written)
        progress.update(batch.findings, written.stored)


def _since(text: str, now: datetime) -> datetime:
    """ISO 8601, or a time before now: ``7d`` and ``-7d`` both mean seven days ago."""
    stripped = text.strip()
    return parse_time("-" + stripped if _BARE_RELATIVE.fullmatch(stripped) else stripped, now)


class _Progress:
    """``backfill guardduty us-east-1: 150 findings fetched, 148 events stored`` on standard error.

    On a terminal the line is rewritten in place (``\\r``); elsewhere (a log, CI) each update is its own line.
    """

    def __init__(self, stream: TextIO, service: str) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._service = service
        self.region = ""
        self._fetched = 0
        self._stored = 0

    def start(self, region: str) -> None:
        self.region, self._fetched, self._stored = region, 0, 0

    def update(self, fetched: int, stored: int) -> None:
        self._fetched += fetched
        self._stored += stored
        self._write("\r" if self._tty else "", "" if self._tty else "\n")

    def finish(self) -> None:
        if self._tty:
            self._write("\r", "\n")
        elif not self._fetched:
            self._write("", "\n")

    def _write(self, start: str, end: str) -> None:
        line = f"backfill {self._service} {self.region}: {self._fetched} findings fetched, "
        line += f"{self._stored} events stored"
        self._stream.write(f"{start}{line}{end}")
        self._stream.flush()
