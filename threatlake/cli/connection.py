"""``threatlake connection create|list|delete``: connections of AWS integrations, in the settings database.

A connection is one AWS integration (``amazon-guardduty`` or ``aws-security-hub``) sending to this Threatlake:
``create`` issues its ingest token (scope ``openpipeline.events_security``, bound to the connection, so its
events carry ``dt.ingest.connection``) and prints the token once with the filled-in AWS commands that store it
in Secrets Manager and deploy ``deploy/forwarder.yaml``. ``list`` shows the events received and the last-seen
time the running service keeps in the settings database (docs/connections.md); ``delete`` revokes the
connection's tokens (its events stay). Works while ``threatlake serve`` runs on the same data directory.

``setup_commands`` is shared with ``POST /platform/connections``.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import urllib.parse
from datetime import UTC, datetime

from threatlake.config import load_config
from threatlake.errors import RequestError
from threatlake.service import access
from threatlake.state import open_state
from threatlake.state.connections import INTEGRATIONS

__all__ = [
    "HELP",
    "INGEST_PATH",
    "SECRET_KEY_NAME",
    "check_region",
    "configure",
    "ingest_url",
    "run",
    "setup_commands",
    "stack_name",
    "warnings_for",
]

HELP = "create, list and delete connections of AWS integrations (GuardDuty, Security Hub)"

INGEST_PATH = "/platform/ingest/v1/security.events"
#: The key the forwarder reads the token from by default (deploy/forwarder.yaml ``SecretKeyName``).
SECRET_KEY_NAME = "DYNATRACE_OPENPIPELINE_INGEST_API_TOKEN"
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
#: deploy/forwarder.yaml source switches per integration.
_SOURCES: dict[str, dict[str, str]] = {
    "amazon-guardduty": {
        "ForwardGuardDuty": "true",
        "ForwardSecurityHub": "false",
        "ForwardSecurityHubV2": "false",
    },
    "aws-security-hub": {
        "ForwardGuardDuty": "false",
        "ForwardSecurityHub": "true",
        "ForwardSecurityHubV2": "false",
    },
}


def ingest_url(endpoint: str) -> str:
    """The full ingest URL for ``endpoint``: a base URL (the ingest path is appended) or an ingest URL as is.

    RequestError for anything but an http(s) URL with a host and nothing to quote."""
    parts = urllib.parse.urlsplit(endpoint.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or re.search(r"[\s'\"\\`$]", endpoint.strip())
    ):
        raise RequestError(
            f"the endpoint must be an http(s) URL with a host, such as https://threatlake.example.com;"
            f" got {endpoint!r}",
            {"field": "endpoint"},
        )
    path = parts.path.rstrip("/")
    if "/platform/ingest/" not in path:
        path += INGEST_PATH
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def check_region(region: str | None) -> str | None:
    if region is not None and not _REGION.fullmatch(region):
        raise RequestError(f"not an AWS region name: {region!r} (e.g. eu-west-1)", {"field": "region"})
    return region


def stack_name(connection: str) -> str:
    """A CloudFormation stack name (letters, digits, hyphens) for the connection."""
    return "threatlake-" + re.sub(r"[^A-Za-z0-9-]", "-", connection)


def setup_commands(
    connection: str, integration: str, token: str, url: str, region: str | None = None
) -> list[str]:
    """The shell commands, filled in, that store ``token`` in Secrets Manager and deploy the forwarder stack
    for ``integration`` sending to ``url``; run from a Threatlake checkout (the template's directory)."""
    where = f" --region {region}" if region else ""
    secret = shlex.quote(json.dumps({SECRET_KEY_NAME: token}, separators=(",", ":")))
    overrides = " ".join(
        [f"IngestUrl={shlex.quote(url)}", 'SecretArn="$SECRET_ARN"']
        + [f"{name}={value}" for name, value in _SOURCES[integration].items()]
    )
    return [
        f"SECRET_ARN=$(aws secretsmanager create-secret --name threatlake/{connection}"
        f" --secret-string {secret}{where} --query ARN --output text)",
        "python3 deploy/package_forwarder.py",
        "aws cloudformation package --template-file deploy/forwarder.yaml"
        ' --s3-bucket "${ARTIFACTS_BUCKET:?set ARTIFACTS_BUCKET to an S3 bucket of yours}"'
        f" --output-template-file deploy/build/forwarder.packaged.yaml{where}",
        "aws cloudformation deploy --template-file deploy/build/forwarder.packaged.yaml"
        f" --stack-name {stack_name(connection)} --capabilities CAPABILITY_IAM{where}"
        f" --parameter-overrides {overrides}",
    ]


def warnings_for(url: str) -> list[str]:
    """What will stop the forwarder from reaching ``url``, said before the user deploys."""
    found = []
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        found.append(
            "deploy/forwarder.yaml accepts only an https:// IngestUrl reachable from AWS: put Threatlake"
            " behind a TLS proxy and pass its public URL as the endpoint"
        )
    elif (parts.hostname or "") in ("localhost", "127.0.0.1", "::1"):
        found.append(f"{parts.hostname} is not reachable from AWS Lambda: pass a public URL as the endpoint")
    return found


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
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
    config = load_config(data_dir=args.data_dir)
    if args.action == "create":  # validate before anything is written
        url = ingest_url(args.endpoint or f"http://{config.host}:{config.port}")
        region = check_region(args.region)
    state = open_state(config.data_dir, credentials_key=config.credentials_key)
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
