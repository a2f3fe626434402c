"""``threatlake connection create|list|delete``: connections of AWS integrations, in the settings database.

A connection is one AWS integration (``amazon-guardduty`` or ``aws-security-hub``) sending to this Threatlake:
``create`` issues its ingest token (scope ``openpipeline.events_security``, bound to the connection, so its
events carry ``dt.ingest.connection``) and prints the token once with the filled-in AWS commands that store it
in Secrets Manager and deploy ``deploy/forwarder.yaml``. ``list`` shows the events received and the last-seen
time the running service keeps in the settings database (docs/connections.md); ``delete`` revokes the
connection's tokens (its events stay). Works while ``threatlake serve`` runs on the same data directory.

The commands come from ``threatlake.aws.setup``, shared with ``POST /platform/connections``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from threatlake.aws.setup import check_region, ingest_url, setup_commands, warnings_for
from threatlake.config import load_config
from threatlake.service import access
from threatlake.service.resources import open_configured_state
from threatlake.state.connections import INTEGRATIONS

__all__ = ["HELP", "configure", "run"]

HELP = "create, list and delete connections of AWS integrations (GuardDuty, Security Hub)"


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
    )
    common.add_argument(
        "--state", metavar="URL", help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="create a connection, print its token once and the AWS commands", parents=[common]
    )
    create.add_argument("integration", choices=INTEGRATIONS, help=f"one of {', '.join(INTEGRATIONS)}")
    create.add_argument("--name", metavar="N", required=True, help="the connection's name (unique)")
    create.add_argument(
        "--endpoint",
        metavar="URL",
        help="Threatlake's URL as AWS reaches it (default http://<host>:<port> of the settings)",
    )
    create.add_argument("--region", metavar="R", help="the AWS region of the commands (default: the CLI's)")
    actions.add_parser("list", help="list connections with events received and last seen", parents=[common])
    delete = actions.add_parser("delete", help="delete a connection and revoke its tokens", parents=[common])
    delete.add_argument("name", metavar="N", help="the connection's name")


def run(args: argparse.Namespace) -> int:
    config = load_config(data_dir=args.data_dir, state=args.state)
    if args.action == "create":  # validate before anything is written
        url = ingest_url(args.endpoint or f"http://{config.host}:{config.port}")
        region = check_region(args.region)
    state = open_configured_state(config)
    now = datetime.now(UTC)
    try:
        if args.action == "create":
            connection, token_record, token = access.create_connection(
                state, args.name, args.integration, now=now
            )
            print(f"# connection {connection.name!r} ({connection.integration}), token {token_record.id}")
            print(f"# ingest token (shown this once): {token}")
            print("# store it in AWS Secrets Manager and deploy the forwarder (from a Threatlake checkout):")
            for command in setup_commands(connection.name, connection.integration, token, url, region):
                print(command)
            for warning in warnings_for(url):
                print(f"warning: {warning}", file=sys.stderr)
        elif args.action == "list":
            print("name\tintegration\tcreated\ttoken id\tevents received\tlast seen")
            for item in access.list_connections(state):
                print(
                    f"{item.name}\t{item.integration}\t{item.created}\t{','.join(item.tokens) or '-'}"
                    f"\t{item.events_received}\t{item.last_seen or '-'}"
                )
        else:
            record = access.delete_connection(state, args.name, now=now)
            revoked = ", ".join(record.tokens) or "none"
            print(f"connection {record.name!r} deleted; tokens revoked: {revoked}; its events stay stored")
    finally:
        state.close()
    return 0
