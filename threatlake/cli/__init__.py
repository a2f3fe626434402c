"""The ``threatlake`` command line: one module per command, one registry.

Each command module exposes ``HELP`` (one line), ``configure(parser)`` and ``run(args) -> int``. Exit status:
0 success, 1 when some input was rejected, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from threatlake.cli import backfill as backfill_command
from threatlake.cli import bucket as bucket_command
from threatlake.cli import connection as connection_command
from threatlake.cli import credentials as credentials_command
from threatlake.cli import dashboards as dashboards_command
from threatlake.cli import demo as demo_command
from threatlake.cli import ingest as ingest_command
from threatlake.cli import map as map_command
from threatlake.cli import migrate as migrate_command
from threatlake.cli import notebooks as notebooks_command
from threatlake.cli import query as query_command
from threatlake.cli import serve
from threatlake.cli import token as token_command
from threatlake.cli import user as user_command
from threatlake.cli import workflows as workflows_command
from threatlake.errors import ThreatlakeError

__all__ = ["COMMANDS", "main"]

COMMANDS: dict[str, ModuleType] = {
    "map": map_command,
    "ingest": ingest_command,
    "query": query_command,
    "serve": serve,
    "token": token_command,
    "user": user_command,
    "connection": connection_command,
    "backfill": backfill_command,
    "bucket": bucket_command,
    "workflows": workflows_command,
    "credentials": credentials_command,
    "dashboards": dashboards_command,
    "notebooks": notebooks_command,
    "demo": demo_command,
    "migrate": migrate_command,
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="threatlake", description="Threat observability for GuardDuty and Security Hub.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(sub)
    return parser


# Ingest allocates millions of short-lived, acyclic objects (decoded JSON, event dicts, Arrow input): with
# the default threshold (700) the cyclic collector runs thousands of passes that free nothing and cost a
# third of the mapping time. Set once, at the edge, for every command (the service included).
GC_THRESHOLDS = (200_000, 50, 100)


#: Files and directories Threatlake creates (the store, the settings database, keys, logs) are its own:
#: 0600 and 0700, whatever the user's umask.
UMASK = 0o077


def main(argv: Sequence[str] | None = None) -> int:
    gc.set_threshold(*GC_THRESHOLDS)
    os.umask(UMASK)
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = COMMANDS[args.command].run
    try:
        return run(args)
    except ThreatlakeError as error:
        print(f"threatlake {args.command}: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
