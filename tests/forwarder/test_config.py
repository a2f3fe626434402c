"""Settings come from the environment once, with defaults, and bad values are named."""

from __future__ import annotations

import pytest

from threatlake.forwarder.config import DEFAULT_SECRET_KEY_NAME, Config
from threatlake.forwarder.errors import ConfigError

URL = "https://threatlake.example.com/platform/ingest/v1/security.events"
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:threatlake-AbCdEf"
QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/threatlake-forwarder-DeadLetterQueue-AbC"
BASE = {"INGEST_URL": URL, "THREATLAKE_SECRET_ARN": ARN}


def test_defaults() -> None:
    config = Config.from_env(BASE)
    assert config == Config(ingest_url=URL, secret_arn=ARN)
    assert config.secret_key_name == DEFAULT_SECRET_KEY_NAME
    assert (config.max_bytes, config.secret_ttl_seconds) == (1024 * 1024, 300.0)
    assert config.dead_letter_queue_url == ""  # none: a rejected event fails the invocation instead


def test_every_setting_is_read() -> None:
    config = Config.from_env(
        {
            **BASE,
            "SECRET_KEY_NAME": "TOKEN",
            "SECRET_TTL_SECONDS": "60",
            "FORWARD_MAX_BYTES": "500000",
            "FORWARD_TIMEOUT_SECONDS": "2.5",
            "FORWARD_MAX_ATTEMPTS": "3",
            "FORWARD_BACKOFF_BASE_SECONDS": "0.1",
            "FORWARD_BACKOFF_MAX_SECONDS": "4",
            "FORWARD_SAFETY_MARGIN_SECONDS": "1",
        }
    )
    assert config == Config(URL, ARN, "TOKEN", 60.0, 500000, 2.5, 3, 0.1, 4.0, 1.0)
    assert isinstance(config.max_bytes, int) and isinstance(config.max_attempts, int)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"THREATLAKE_SECRET_ARN": ARN}, "INGEST_URL is required"),
        ({"INGEST_URL": URL}, "THREATLAKE_SECRET_ARN is required"),
        ({**BASE, "INGEST_URL": "threatlake.example.com"}, "http"),
        ({**BASE, "FORWARD_MAX_BYTES": "1MiB"}, "FORWARD_MAX_BYTES must be a number"),
        ({**BASE, "FORWARD_MAX_BYTES": "100"}, "FORWARD_MAX_BYTES must be at least 1024"),
        ({**BASE, "FORWARD_MAX_ATTEMPTS": "0"}, "FORWARD_MAX_ATTEMPTS must be at least 1"),
        ({**BASE, "FORWARD_TIMEOUT_SECONDS": "nan"}, "FORWARD_TIMEOUT_SECONDS must be at least"),
        ({**BASE, "DEAD_LETTER_QUEUE_URL": "my-queue"}, "DEAD_LETTER_QUEUE_URL must be an SQS queue URL"),
    ],
)
def test_bad_environment(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env)
