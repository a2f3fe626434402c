"""boto3 clients and their failures: one place configures timeouts and retries and turns AWS errors into one
line.

A client gives up on an unreachable endpoint quickly (``CONNECT_TIMEOUT_SECONDS``, ``MAX_ATTEMPTS`` attempts
with botocore's standard backoff: seconds, not the minute botocore's defaults take), so a command without
network fails fast with the reason; the readers say what they are about to call (``Say``), so a slow answer
is never silence.

    AwsError                an AWS call failed: names the API and the region (terminal for the run)
    └── UnavailableApiError the API does not exist there (an older endpoint, an emulator): skipped, not fatal

(Both derive from ``ThreatlakeError``; they live here because only the boto3 edge raises them.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from threatlake.errors import ConfigError, ThreatlakeError

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "MAX_ATTEMPTS",
    "READ_TIMEOUT_SECONDS",
    "RETRIES",
    "AwsError",
    "Say",
    "UnavailableApiError",
    "as_document",
    "calling",
    "connect",
    "resolve_regions",
    "silent",
]

#: Throttling and transient errors (a refused or timed-out connection too) are retried by botocore's standard
#: mode (exponential backoff with jitter, at most 20 s apart): ``MAX_ATTEMPTS`` attempts in all.
MAX_ATTEMPTS = 4
RETRIES: dict[str, Any] = {"mode": "standard", "max_attempts": MAX_ATTEMPTS}
#: How long a connection to an AWS endpoint may take to open, and an answer to start (botocore: 60 s each).
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 30.0

#: What a reader tells its caller it is about to do ("Reading GuardDuty detectors in eu-west-1"), once per
#: step, not per page.
Say = Callable[[str], None]

# Error codes (or HTTP statuses) that mean "this API is not offered here", not "you may not call it".
_UNAVAILABLE = frozenset(
    {"404", "UnknownOperationException", "InvalidAction", "InvalidAccessException", "NotImplemented"}
)
_TAG = re.compile(r"<[^>]+>")
_TITLE = re.compile(r"<title>([^<]*)</title>", re.IGNORECASE)
_XML_FIELD = re.compile(r"<(Code|Message)>([^<]*)</\1>")
_MAX_MESSAGE = 300


class AwsError(ThreatlakeError):
    """An AWS call failed; the message names the API and the region and says why, on one line."""

    def __init__(self, reason: str, *, api: str, region: str) -> None:
        super().__init__(f"{api} in {region}: {reason}")
        self.reason = reason
        self.api = api
        self.region = region


class UnavailableApiError(AwsError):
    """The API does not exist at this endpoint (an older region or an emulator without it)."""


def connect(service: str, region: str, *, profile: str | None = None, endpoint_url: str | None = None) -> Any:
    """A boto3 client for ``service`` in ``region`` (the standard credential chain, or ``profile``)."""
    # boto3 is imported on first use: importing it costs more than every other command needs. (Without
    # stubs it is untyped; mypy reports that at a module's first import only.)
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]

    try:
        session = boto3.Session(profile_name=profile)
        return session.client(
            service,
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(
                retries=RETRIES,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                read_timeout=READ_TIMEOUT_SECONDS,
            ),
        )
    except BotoCoreError as error:
        raise AwsError(_one_line(str(error)), api=f"the {service} client", region=region) from None


def resolve_regions(
    service: str, requested: list[str] | None, *, profile: str | None = None, endpoint_url: str | None = None
) -> list[str]:
    """The regions asked for (deduplicated, in order), else the profile's or environment's default region.

    Without a custom endpoint, each must be a region where botocore knows ``service`` is offered: a typo fails
    here, in one line, instead of as a connection error to a host that does not exist.
    """
    import boto3
    from botocore.exceptions import BotoCoreError

    try:
        session = boto3.Session(profile_name=profile)
    except BotoCoreError as error:
        raise ConfigError(f"--profile: {_one_line(str(error))}") from None
    default = [session.region_name] if session.region_name else []
    regions = list(dict.fromkeys(requested or default))
    if not regions:
        raise ConfigError("no region: pass --region R, or set AWS_REGION or a region in the AWS profile")
    if endpoint_url is None:  # a custom endpoint (LocalStack, moto) may serve any region name
        known = {
            region
            for partition in session.get_available_partitions()
            for region in session.get_available_regions(service, partition_name=partition)
        }
        unknown = [region for region in regions if region not in known]
        if unknown:
            raise ConfigError(f"--region {', '.join(unknown)}: not a region where {service} is offered")
    return regions


@contextmanager
def calling(api: str, region: str) -> Iterator[None]:
    """Turn any botocore failure inside the block into an ``AwsError`` naming ``api`` and ``region``."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except ClientError as error:
        code, message = _code_and_message(error.response)
        cls = UnavailableApiError if code in _UNAVAILABLE else AwsError
        raise cls(f"{code}: {message}", api=api, region=region) from None
    except NoCredentialsError:
        reason = "no AWS credentials found (environment, --profile, shared config or instance role)"
        raise AwsError(reason, api=api, region=region) from None
    except BotoCoreError as error:
        raise AwsError(_one_line(str(error)), api=api, region=region) from None


def silent(_: str) -> None:
    """A ``Say`` that tells nobody (the readers' default)."""


def _code_and_message(response: Any) -> tuple[str, str]:
    details = response.get("Error", {}) if isinstance(response, dict) else {}
    code = str(details.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "Error")
    message = str(details.get("Message") or "")
    if "<" in message:
        # Some endpoints (proxies, emulators) answer a JSON API with XML or HTML: pull out what they meant.
        fields = dict(_XML_FIELD.findall(message))
        title = _TITLE.search(message)
        code = fields.get("Code", code)
        message = fields.get("Message") or (title.group(1) if title else _TAG.sub(" ", message))
    return code, _one_line(message) or "(no message)"


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def as_document(value: Any) -> Any:
    """A boto3 value as a JSON document: datetimes become ISO 8601 strings in UTC, bytes become text."""
    return _CONVERT.get(type(value), _as_is)(value)


def _mapping(value: dict[Any, Any]) -> dict[str, Any]:
    return {str(key): as_document(item) for key, item in value.items()}


def _sequence(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [as_document(item) for item in value]


def _datetime(value: datetime) -> str:
    moment = value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)
    precision = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
    return moment.isoformat(timespec=precision).replace("+00:00", "Z")


def _as_is(value: Any) -> Any:
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return value


_CONVERT: dict[type, Callable[[Any], Any]] = {
    dict: _mapping,
    list: _sequence,
    tuple: _sequence,
    datetime: _datetime,
}
