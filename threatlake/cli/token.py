"""``threatlake token create|list|revoke``: API tokens in the settings database of ``--data-dir``.

Works while ``threatlake serve`` runs on the same data directory (the settings live in SQLite, not in the
event store). ``create`` prints the token once; only a salted hash of its secret is kept. ``list`` shows the
live tokens (``--all``: the revoked and expired ones too, such as the temporary tokens a command mints to
reach a running service); a token that does not ingest belongs to no connection (``-``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from threatlake.cli.columns import aligned
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
        "--connection",
        metavar="C",
        default=DEFAULT_CONNECTION,
        help="the connection an ingest token sends for (made when missing; default 'default')",
    )
    listing = actions.add_parser("list", help="list live tokens (never their secrets)", parents=[common])
    listing.add_argument("--all", action="store_true", help="the revoked and expired tokens too")
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
            shown = [item for item in state.tokens.list() if args.all or item.live(now)]
            rows = [
                [item.id, item.name, item.owner or "-", ",".join(item.scopes), item.created,
                 item.last_used or "-", item.expires or "-", item.revoked or "-"]
                for item in shown
            ]  # fmt: skip
            header = ["id", "name", "connection", "scopes", "created", "last used", "expires", "revoked"]
            print("\n".join(aligned(header, rows)))
            hidden = len(state.tokens.list()) - len(shown)
            if hidden:
                print(f"({hidden} revoked or expired not shown; --all shows them)", file=sys.stderr)
        else:
            record = state.tokens.revoke(args.id, now=now)
            print(f"token {record.id} revoked at {record.revoked}")
    finally:
        state.close()
    return 0
