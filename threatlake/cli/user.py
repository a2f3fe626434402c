"""``threatlake user list|passwd``: the users of the settings database in ``--data-dir``.

Works while ``threatlake serve`` runs on the same data directory (users live in SQLite, not in the event
store). ``passwd NAME`` resets a password: a generated one is printed once on stdout, or ``--stdin`` reads it
(the first line of standard input; on a terminal it is asked for without echo). The user's browser sessions
end with the reset, so an old password's sign-ins stop at once.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from threatlake.config import load_config
from threatlake.errors import RequestError
from threatlake.service.resources import open_configured_state

__all__ = ["HELP", "configure", "run"]

HELP = "list users; reset a user's password (the first start's admin included)"


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="name, role and creation time of every user", parents=[common])
    passwd = actions.add_parser(
        "passwd", help="reset a password: print a new one, or read it with --stdin", parents=[common]
    )
    passwd.add_argument("name", metavar="NAME", help="the user (the first start's is 'admin')")
    passwd.add_argument(
        "--stdin", action="store_true", help="read the new password from standard input instead"
    )


def _new_password(from_stdin: bool) -> tuple[str, bool]:
    """The new password, and whether it was generated (then it is printed)."""
    if not from_stdin:
        return secrets.token_urlsafe(18), True
    if sys.stdin.isatty():
        typed = getpass.getpass("new password: ")
    else:
        typed = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not typed:
        raise RequestError("no password on standard input")
    return typed, False


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir)
    state = open_configured_state(config)
    try:
        if args.action == "list":
            print("name\trole\tcreated")
            for user in state.users.list():
                print(f"{user.name}\t{user.role}\t{user.created}")
            return 0
        state.users.get(args.name)  # an unknown name fails before a password is asked for
        password, generated = _new_password(args.stdin)
        with state.transaction():
            state.users.set_password(args.name, password)
            ended = state.sessions.delete_user(args.name)
    finally:
        state.close()
    if generated:
        print(password)
    print(
        f"password of {args.name!r} reset{': shown once, keep it now' if generated else ''}; "
        f"{ended} browser session(s) ended",
        file=sys.stderr,
    )
    return 0
