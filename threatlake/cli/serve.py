"""``threatlake serve [--data-dir DIR] [--host H] [--port P] [--no-samples]``: the HTTP service.

Ingest and query API on http://127.0.0.1:8080 by default (see docs/api.md). The port is bound first; then
the first start creates the admin user and an ingest token and prints them once, and stores the demo data
(the bundled samples, moved into the present) unless ``--no-samples``. A second ``serve`` on a data directory
that a running service holds exits at once with one line (status 2).
"""

from __future__ import annotations

import argparse

from threatlake.config import load_config
from threatlake.service.resources import STORE_HELP

__all__ = ["HELP", "configure", "run"]

HELP = "run the Threatlake service (ingest and query API) on http://127.0.0.1:8080"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    parser.add_argument("--store", metavar="URL", help=STORE_HELP)
    parser.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    parser.add_argument("--host", metavar="H", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", metavar="P", type=int, help="port to listen on (default 8080)")
    parser.add_argument(
        "--no-samples",
        action="store_true",
        help="do not load the demo data (the bundled samples) on first start",
    )


def run(args: argparse.Namespace) -> int:
    from threatlake.web.server import serve  # the web stack loads only for this command

    config = load_config(
        data_dir=args.data_dir,
        store=args.store,
        state=args.state,
        host=args.host,
        port=args.port,
        load_samples=False if args.no_samples else None,
    )
    return serve(config)
