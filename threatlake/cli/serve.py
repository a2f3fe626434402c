"""``threatlake serve [--data-dir DIR] [--host H] [--port P] [--no-samples]``: the HTTP service.

Ingest and query API on http://127.0.0.1:8080 by default (see docs/api.md). The first start creates the
admin user and an ingest token and prints them once, and stores the bundled samples unless ``--no-samples``.
"""

from __future__ import annotations

import argparse

from threatlake.config import load_config

__all__ = ["HELP", "configure", "run"]

HELP = "run the Threatlake service (ingest and query API) on http://127.0.0.1:8080"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    parser.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    parser.add_argument("--host", metavar="H", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", metavar="P", type=int, help="port to listen on (default 8080)")
    parser.add_argument(
        "--no-samples", action="store_true", help="do not load the bundled sample findings on first start"
    )


def run(args: argparse.Namespace) -> int:
    from threatlake.web.server import serve  # the web stack loads only for this command

    config = load_config(
        data_dir=args.data_dir,
        state=args.state,
        host=args.host,
        port=args.port,
        load_samples=False if args.no_samples else None,
    )
    return serve(config)
