"""``threatlake token create|list|revoke``: API tokens in the settings database of ``--data-dir``.

Works while ``threatlake serve`` runs on the same data directory (the settings live in SQLite, not in the
event store). ``create`` prints the token once; only a salted hash of its secret is kept.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from threatlake.config import load_config
from threatlake.service.access import create_token
from threatlake.service.resources import open_configured_state
from threatlake.state.tokens import DEFAULT_CONNECTION, SCOPES

__all__ = ["HELP", "configure", "run"]

HELP = "create, list and revoke API tokens"


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    common.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a token and print it once", parents=[common])
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=SCOPES,
        metavar="S",
        help=f"a scope of the token (repeatable): {', '.join(SCOPES)}",
    )
    create.add_argument("--name", metavar="N", default="", help="a name to recognize the token by")
    create.add_argument(
        "--connection", metavar="C", default=DEFAULT_CONNECTION, help="the connection the token belongs to"
    )
    actions.add_parser("list", help="list tokens (never their secrets)", parents=[common])
    revoke = actions.add_parser("revoke", help="revoke a token by id", parents=[common])
    revoke.add_argument("id", metavar="ID", help="the token id (the middle part of the token)")


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, state=args.state)
    state = open_configured_state(config)
    now = datetime.now(UTC)
    try:
        if args.action == "create":
            record, token = create_token(
                state, args.scopes, now=now, name=args.name, connection=args.connection
            )
            print(token)
            print(
                f"token {record.id} ({record.name}), connection {record.connection!r}, "
                f"scopes {' '.join(record.scopes)}: shown once, keep it now",
                file=sys.stderr,
            )
        elif args.action == "list":
            print("id\tname\tconnection\tscopes\tcreated\tlast used\trevoked")
            for item in state.tokens.list():
                print(
                    f"{item.id}\t{item.name}\t{item.connection}\t{','.join(item.scopes)}\t{item.created}"
                    f"\t{item.last_used or '-'}\t{item.revoked or '-'}"
                )
        else:
            record = state.tokens.revoke(args.id, now=now)
            print(f"token {record.id} revoked at {record.revoked}")
    finally:
        state.close()
    return 0
