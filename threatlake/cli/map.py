"""``threatlake map [FILE ... | -]``: print the normalized events of any accepted input, as NDJSON.

The dry run for a user's own data: nothing is stored. Rejections go to standard error with file, index and
reason; a one-line summary closes the run. Exit 0 when every finding mapped, 1 when some were rejected.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

import orjson

from threatlake.cli.inputs import read_inputs
from threatlake.pipeline.mapping import Batch, IngestContext, map_bytes

__all__ = ["HELP", "configure", "run"]

HELP = "map findings to normalized security events (NDJSON on stdout); stores nothing"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="input files or directories; '-' is stdin")
    parser.add_argument(
        "--no-raw", action="store_true", help="leave out dt.raw_data (the original finding) from the output"
    )


def run(args: argparse.Namespace) -> int:
    ctx = IngestContext(received_at=datetime.now(UTC), source="threatlake map")
    total = Batch()
    events = 0
    out = sys.stdout.buffer
    for name, data in read_inputs(args.files):
        batch = map_bytes(data, ctx, name)
        events += len(batch.events)
        for event in batch.events:
            if args.no_raw:
                event.pop("dt.raw_data", None)
            out.write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE))
        for rejection in batch.rejections:
            print(f"rejected: {rejection}", file=sys.stderr)
        total.findings += batch.findings
        total.rejections.extend(batch.rejections)
        out.flush()
    print(
        f"threatlake map: {total.findings} findings, {events} events, {len(total.rejections)} rejected",
        file=sys.stderr,
    )
    return 1 if total.rejections else 0
