"""``threatlake serve``: the HTTP service (ingest and query API). Not built yet: see the service issue."""

from __future__ import annotations

import argparse
import sys

__all__ = ["HELP", "configure", "run"]

HELP = "run the Threatlake service on http://127.0.0.1:8080 (not built yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", default=None, help="data directory (default: $THREATLAKE_DATA_DIR or ./var)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)


def run(args: argparse.Namespace) -> int:
    print(
        "threatlake serve: the HTTP service is not built yet. Meanwhile: `threatlake map FILE`\n"
        "shows how your findings map; see README.md.",
        file=sys.stderr,
    )
    return 1
