"""The token from a JSON secret in a (moto) Secrets Manager, through boto3's own client, cached with a TTL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.forwarder.fakes import FakeTime
from threatlake.forwarder.config import DEFAULT_SECRET_KEY_NAME
from threatlake.forwarder.errors import SecretError
from threatlake.forwarder.secret import TokenCache


def test_reads_the_token_under_the_default_key(make_secret: Callable[[Any], str]) -> None:
    arn = make_secret({DEFAULT_SECRET_KEY_NAME: "tl0c01.abc.def", "other": "ignored"})
    assert TokenCache(arn, DEFAULT_SECRET_KEY_NAME, 300).token() == "tl0c01.abc.def"


def test_reads_the_token_under_a_configured_key(make_secret: Callable[[Any], str]) -> None:
    arn = make_secret({DEFAULT_SECRET_KEY_NAME: "wrong", "THREATLAKE_TOKEN": "right"})
    assert TokenCache(arn, "THREATLAKE_TOKEN", 300).token() == "right"


def test_cached_within_ttl_and_read_again_after(make_secret: Callable[[Any], str], aws: Any) -> None:
    arn = make_secret({DEFAULT_SECRET_KEY_NAME: "first"})
    time = FakeTime()
    cache = TokenCache(arn, DEFAULT_SECRET_KEY_NAME, 300, clock=time.clock)
    assert cache.token() == "first"
    aws.put_secret_value(SecretId=arn, SecretString=json.dumps({DEFAULT_SECRET_KEY_NAME: "second"}))
    time.advance(299)
    assert cache.token() == "first"  # no call to Secrets Manager within the TTL
    time.advance(1)
    assert cache.token() == "second"
    aws.put_secret_value(SecretId=arn, SecretString=json.dumps({DEFAULT_SECRET_KEY_NAME: "third"}))
    cache.invalidate()
    assert cache.token() == "third"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"SOMETHING_ELSE": "x"}, "no non-empty string under key"),
        ({DEFAULT_SECRET_KEY_NAME: ""}, "no non-empty string under key"),
        ("not json", "not a JSON object"),
        ('["a list"]', "not a JSON object"),
    ],
)
def test_malformed_secret(make_secret: Callable[[Any], str], value: Any, message: str) -> None:
    arn = make_secret(value)
    with pytest.raises(SecretError, match=message):
        TokenCache(arn, DEFAULT_SECRET_KEY_NAME, 300).token()


def test_missing_secret(aws: Any) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:threatlake/absent-AbCdEf"
    with pytest.raises(SecretError, match="cannot read secret"):
        TokenCache(arn, DEFAULT_SECRET_KEY_NAME, 300).token()
