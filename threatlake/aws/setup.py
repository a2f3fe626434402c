"""The AWS side of a connection: the ingest URL the forwarder sends to, and the filled-in commands that
store a connection's token in Secrets Manager and deploy the forwarder stack (``deploy/forwarder.yaml``).

Pure text work, shared by ``threatlake connection create`` and ``POST /platform/connections``.
"""

from __future__ import annotations

import json
import re
import shlex
import urllib.parse

from threatlake.errors import RequestError

__all__ = [
    "INGEST_PATH",
    "SECRET_KEY_NAME",
    "check_region",
    "ingest_url",
    "setup_commands",
    "stack_name",
    "warnings_for",
]

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
