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
