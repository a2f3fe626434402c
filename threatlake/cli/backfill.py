"""``threatlake backfill amazon-guardduty|aws-security-hub``: pull existing findings from the AWS APIs into
the store. The integration names are those of ``connection create``; ``guardduty`` and ``securityhub``
(the AWS service names) are accepted too (``ALIASES``).

For each region, the service's readers (``threatlake.aws``) yield pages of findings; each page is mapped like
``ingest`` maps a file (source ``backfill:<service>``, connection ``backfill``), run through the built-in
pipeline, counted for the connection and written at once (``threatlake.service.ingest``, the path of every
ingest, new-event hooks included), so an error loses nothing already fetched. Prints the ``ingest`` JSON
summary plus ``warnings`` (an API that is not offered somewhere) and ``aborted`` (the AWS error that stopped
the run, or null). Progress goes to standard error (``cli/progress.py``): each API call about to be made
("Reading GuardDuty detectors in eu-west-1") and the findings fetched and events stored per region, as a
progress bar on a terminal and plain lines otherwise. Exit 0, 1 when some findings were rejected, 2 on usage
and AWS errors (an unreachable endpoint fails within seconds: ``threatlake.aws.client``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from threatlake.aws import AwsError, UnavailableApiError, connect, guardduty, resolve_regions, securityhub
from threatlake.cli.ingest import ingest_through_service
from threatlake.cli.progress import Progress
from threatlake.cli.query import accept_relative_times, parse_time
from threatlake.cli.remote import ServiceClient, store_or_service
from threatlake.config import load_config
from threatlake.pipeline.mapping import IngestContext, map_documents
from threatlake.service.ingest import Ingest, IngestSummary, local_ingest
from threatlake.service.resources import open_configured_state, open_configured_store
from threatlake.state.tokens import INGEST_SCOPE
from threatlake.store import WriteResult

__all__ = ["ALIASES", "HELP", "READERS", "Reader", "configure", "connect_client", "received_at", "run"]

HELP = "pull existing findings from the GuardDuty or Security Hub API into the store"
CONNECTION = "backfill"

Pages = Iterator[list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Reader:
    """One API a backfill reads: its name, its page generator, and whether a region may lack it."""

    api: str
    pages: Callable[..., Pages]
    optional: bool = False


#: integration → (boto3 service name, the APIs read, in order). Adding a service touches one line here. The
#: boto3 name is the run's source (``backfill:<name>``) and its progress label.
READERS: dict[str, tuple[str, tuple[Reader, ...]]] = {
    "amazon-guardduty": ("guardduty", (Reader("GetFindings", guardduty.finding_pages),)),
    "aws-security-hub": (
        "securityhub",
        (
            Reader("GetFindings", securityhub.asff_pages),
            Reader("GetFindingsV2", securityhub.ocsf_pages, optional=True),
        ),
    ),
}

#: The AWS service names, accepted for the integrations (the names ``backfill`` took first).
ALIASES: dict[str, str] = {"guardduty": "amazon-guardduty", "securityhub": "aws-security-hub"}

_BARE_RELATIVE = re.compile(r"\d+\s*(?:ms|s|m|h|d|w)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "service",
        choices=[*READERS, *ALIASES],
        metavar="INTEGRATION",
        help=f"the integration to read findings of: {', '.join(READERS)} (or {', '.join(ALIASES)})",
    )
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
    accept_relative_times(parser)


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
    boto_service = READERS[ALIASES.get(args.service, args.service)][0]
    regions = resolve_regions(
        boto_service, args.regions, profile=args.profile, endpoint_url=args.endpoint_url
    )
    ctx = IngestContext(received_at=now, source=f"backfill:{boto_service}", connection=CONNECTION)
    summary = IngestSummary()

    def read(consume: Callable[[Pages, _Counts], None]) -> tuple[list[str], str | None]:
        with Progress(sys.stderr) as progress:
            return _read_regions(args, regions, since=since, now=now, progress=progress, consume=consume)

    store = store_or_service(lambda: open_configured_store(config), config.data_dir)
    if isinstance(store, str):  # the running service holds the store: its ingest endpoint stores the pages
        with _Service(config.data_dir, store, CONNECTION, config.state) as service:
            warnings, aborted = read(lambda pages, counts: _backfill_through(service, pages, summary, counts))
    else:
        try:
            state = open_configured_state(config)
            try:
                with local_ingest(store, state, connection=CONNECTION, now=now) as ingest:
                    warnings, aborted = read(
                        lambda pages, counts: _backfill(ingest, pages, ctx, summary, counts)
                    )
            finally:
                state.close()
        finally:
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


def _read_regions(
    args: argparse.Namespace,
    regions: list[str],
    *,
    since: datetime | None,
    now: datetime,
    progress: Progress,
    consume: Callable[[Pages, _Counts], None],
) -> tuple[list[str], str | None]:
    """Read every region's pages into ``consume``: the warnings (an optional API not offered somewhere)
    and the AWS error that stopped the run, if one did."""
    boto_service, readers = READERS[ALIASES.get(args.service, args.service)]
    warnings: list[str] = []
    for region in regions:
        counts = _Counts(progress, boto_service, region)
        try:
            client = connect_client(boto_service, region, args)
            for reader in readers:
                try:
                    consume(reader.pages(client, since=since, until=now, say=progress.say), counts)
                except UnavailableApiError as error:
                    if not reader.optional:
                        raise
                    warnings.append(f"{reader.api} not available in {region}: {error.reason}")
        except AwsError as error:
            return warnings, str(error)
        finally:
            progress.finish(counts.text())
    return warnings, None


def _backfill(
    ingest: Ingest, pages: Pages, ctx: IngestContext, summary: IngestSummary, counts: _Counts
) -> None:
    """Map, process and store each page as it comes: a later error loses nothing already fetched."""
    for number, page in enumerate(pages, start=1):
        batch = map_documents(page, ctx, f"{counts.region} page {number}")
        processed = ingest.process(batch, ctx.received_at)
        summary.add(batch, processed)
        written = ingest.write(processed.events)
        summary.count(written)
        counts.update(batch.findings, written.stored)


def _backfill_through(service: _Service, pages: Pages, summary: IngestSummary, counts: _Counts) -> None:
    """Send each page to the running service's ingest endpoint as it comes (stored before it answers)."""
    for number, page in enumerate(pages, start=1):
        name = f"{counts.region} page {number}"
        sent = ingest_through_service(service.client(), iter([(name, orjson.dumps(page))]))
        summary.received += sent.received
        summary.count(WriteResult(sent.stored, sent.duplicates))
        summary.rejections.extend(sent.rejections)
        counts.update(sent.received, sent.stored)


class _Service:
    """Clients of the running service for one backfill, each a temporary token of the ``backfill``
    connection; a client older than ``RENEW_SECONDS`` is closed (its token revoked) for a fresh one, so a
    long backfill never outlives its token."""

    RENEW_SECONDS = 60.0

    def __init__(self, data_dir: Path, url: str, connection: str, database: str = "sqlite") -> None:
        self._data_dir, self._url, self._connection, self._database = data_dir, url, connection, database
        self._current: ServiceClient | None = None
        self._opened = 0.0

    def client(self) -> ServiceClient:
        if self._current is not None and time.monotonic() - self._opened > self.RENEW_SECONDS:
            self.__exit__()
        if self._current is None:
            self._current = ServiceClient(
                self._data_dir, self._url, INGEST_SCOPE, connection=self._connection, database=self._database
            )
            self._opened = time.monotonic()
        return self._current

    def __enter__(self) -> _Service:
        return self

    def __exit__(self, *exc: object) -> None:
        current, self._current = self._current, None
        if current is not None:
            current.__exit__()


def _since(text: str, now: datetime) -> datetime:
    """ISO 8601, or a time before now: ``7d`` and ``-7d`` both mean seven days ago."""
    stripped = text.strip()
    return parse_time("-" + stripped if _BARE_RELATIVE.fullmatch(stripped) else stripped, now)


class _Counts:
    """``backfill guardduty us-east-1: 150 findings fetched, 148 events stored``, as the region goes."""

    def __init__(self, progress: Progress, service: str, region: str) -> None:
        self._progress = progress
        self.region = region
        self.fetched = 0
        self.stored = 0
        progress.task(f"backfill {service} {region}")

    def update(self, fetched: int, stored: int) -> None:
        self.fetched += fetched
        self.stored += stored
        self._progress.advance(fetched, self.text())

    def text(self) -> str:
        return f"{self.fetched} findings fetched, {self.stored} events stored"
