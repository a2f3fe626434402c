from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from threatlake.aws.client import AwsError, UnavailableApiError, as_document, calling


def test_as_document_turns_boto3_values_into_json() -> None:
    eastern = timezone(timedelta(hours=-5))
    value = {
        "At": datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "Local": [datetime(2025, 1, 2, 3, 4, 5, tzinfo=eastern)],
        "Naive": datetime(2025, 1, 2),
        "Day": date(2025, 1, 2),
        "Blob": b"bytes",
        "Kept": {"n": 1, "f": 1.5, "b": False, "none": None},
    }
    assert as_document(value) == {
        "At": "2025-01-02T03:04:05.678901Z",
        "Local": ["2025-01-02T08:04:05.000Z"],
        "Naive": "2025-01-02T00:00:00.000Z",
        "Day": "2025-01-02",
        "Blob": "bytes",
        "Kept": {"n": 1, "f": 1.5, "b": False, "none": None},
    }


def _client_error(code: str, message: str, status: int = 400) -> ClientError:
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "GetFindings")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "cls", "message"),
    [
        (
            _client_error("AccessDeniedException", "User: arn:aws:iam::1:user/x is not authorized"),
            AwsError,
            "GetFindings in eu-west-1: AccessDeniedException: User: arn:aws:iam::1:user/x is not authorized",
        ),
        (
            _client_error(
                "403",
                '<?xml version="1.0"?>\n<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>'
                "<Message>The security token included in the request is invalid.</Message></Error></Errors>",
            ),
            AwsError,
            "GetFindings in eu-west-1: InvalidClientTokenId: The security token included in the request is "
            "invalid.",
        ),
        (
            _client_error("404", "<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>", 404),
            UnavailableApiError,
            "GetFindings in eu-west-1: 404: 404 Not Found",
        ),
        (
            NoCredentialsError(),
            AwsError,
            "GetFindings in eu-west-1: no AWS credentials found (environment, --profile, shared config or "
            "instance role)",
        ),
    ],
)
def test_errors_become_one_line_naming_api_and_region(error: Exception, cls: type, message: str) -> None:
    with pytest.raises(AwsError) as caught, calling("GetFindings", "eu-west-1"):
        raise error
    assert type(caught.value) is cls
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)
    assert (caught.value.api, caught.value.region) == ("GetFindings", "eu-west-1")


def test_an_endpoint_that_never_answers_fails_within_bounded_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client waits ``READ_TIMEOUT_SECONDS`` per attempt and tries ``MAX_ATTEMPTS`` times, then one
    ``AwsError`` names the API and region: no minute-long silence (botocore's defaults: 60 s, more tries)."""
    import socket
    import threading

    from threatlake.aws import client as aws_client
    from threatlake.aws import guardduty

    for name, value in {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(aws_client, "READ_TIMEOUT_SECONDS", 0.3)
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])  # and never answer
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    said: list[str] = []
    try:
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
        made = aws_client.connect("guardduty", "eu-west-1", endpoint_url=endpoint)
        assert made.meta.config.connect_timeout == aws_client.CONNECT_TIMEOUT_SECONDS
        with pytest.raises(AwsError) as raised:
            next(guardduty.finding_pages(made, say=said.append))
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
    assert said == ["Reading GuardDuty detectors in eu-west-1"]
    assert str(raised.value).startswith("ListDetectors in eu-west-1: Read timeout")
    # each attempt opens a connection (urllib3 may open one more for a timed-out one): bounded either way
    assert aws_client.MAX_ATTEMPTS <= len(accepted) <= aws_client.MAX_ATTEMPTS + 1
