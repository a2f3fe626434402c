"""``threatlake credentials create TYPE NAME ... | list | delete NAME``: the secrets workflows' actions use.

A credential is named and typed (``jira``, ``slack``, ``msteams``, ``smtp``, ``http``) and kept encrypted in
the settings database (``threatlake.state.credentials``); workflows reference it by name in ``connectionId`` /
``connection``. ``--default`` makes it its type's default, used when a reference is empty or names nothing.
``list`` shows names, types and field names, never a secret. The settings database is shared safely with a
running ``threatlake serve``, so these commands work whether or not it runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime

from threatlake.config import load_config
from threatlake.errors import RequestError
from threatlake.service.resources import open_configured_state

__all__ = ["HELP", "configure", "run"]

HELP = "create, list and delete the credentials workflows use (Jira, Slack, Teams, SMTP, HTTP)"

#: type → (option flags → state field, how the option is declared); one row per credential type.
_Option = tuple[str, str, str, bool]  # flag, state field, help, required
OPTIONS: dict[str, tuple[_Option, ...]] = {
    "jira": (
        ("--url", "url", "the Jira site, e.g. https://example.atlassian.net", True),
        ("--user", "email", "the account's e-mail (Jira Cloud) or user name", True),
        ("--token", "apiToken", "its API token", True),
    ),
    "slack": (
        ("--webhook-url", "webhookUrl", "an incoming webhook URL", False),
        ("--bot-token", "token", "a bot token (xoxb-...) for chat.postMessage", False),
    ),
    "msteams": (("--webhook-url", "webhookUrl", "the channel's incoming webhook URL", True),),
    "smtp": (
        ("--host", "host", "the SMTP server", True),
        ("--port", "port", "its port (587 STARTTLS, 465 TLS, 25 plain)", True),
        ("--user", "username", "the login name (optional)", False),
        ("--password", "password", "the login password (optional)", False),
        ("--from", "sender", "the sender address", True),
    ),
    "http": (("--secret", "secret", "the HMAC key that signs http-function requests", True),),
}


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    common.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a credential")
    types = create.add_subparsers(dest="type", metavar="TYPE", required=True)
    for kind, options in OPTIONS.items():
        sub = types.add_parser(kind, help=f"a {kind} credential", parents=[common])
        sub.add_argument("name", metavar="NAME", help="the credential's name (what workflows reference)")
        sub.add_argument("--default", action="store_true", help=f"make it the default {kind} credential")
        for flag, field, text, required in options:
            sub.add_argument(flag, dest=f"field_{field}", metavar="VALUE", required=required, help=text)
        if kind == "slack":
            sub.set_defaults(check=_one_slack_secret)
        if kind == "smtp":
            security = sub.add_mutually_exclusive_group()
            security.add_argument("--starttls", dest="tls", action="store_const", const="starttls",
                                  help="upgrade with STARTTLS (the default)")  # fmt: skip
            security.add_argument("--tls", dest="tls", action="store_const", const="tls",
                                  help="connect with TLS (SMTPS)")  # fmt: skip
            security.add_argument("--plain", dest="tls", action="store_const", const="none",
                                  help="no encryption (a relay on a trusted network)")  # fmt: skip
    actions.add_parser(
        "list", help="list credentials (names, types, fields; never secrets)", parents=[common]
    )
    delete = actions.add_parser("delete", help="delete a credential", parents=[common])
    delete.add_argument("name", metavar="NAME")


def _one_slack_secret(secret: dict[str, str]) -> None:
    if bool(secret.get("webhookUrl")) == bool(secret.get("token")):
        raise RequestError("a slack credential takes one of --webhook-url URL or --bot-token T")


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, state=args.state)
    state = open_configured_state(config)
    now = datetime.now(UTC)
    try:
        repository = state.credentials
        if args.action == "create":
            secret = {
                key.removeprefix("field_"): value
                for key, value in vars(args).items()
                if key.startswith("field_") and value
            }
            if args.type == "smtp":
                secret["tls"] = args.tls or "starttls"
            check: Callable[[dict[str, str]], None] | None = getattr(args, "check", None)
            if check is not None:
                check(secret)
            with state.transaction():
                record = repository.create(args.name, args.type, secret, now=now)
                if args.default:
                    record = repository.set_default(record.name)
            print(record.name)
        elif args.action == "list":
            print("name\ttype\tdefault\tfields\tmodified")
            for item in repository.list():
                marked = "yes" if item.default else "-"
                print(f"{item.name}\t{item.type}\t{marked}\t{','.join(item.fields)}\t{item.modified}")
        else:
            repository.delete(args.name)
            print(f"credential {args.name!r} deleted")
    finally:
        state.close()
    return 0
