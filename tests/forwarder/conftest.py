"""A Secrets Manager for the tests: moto in server mode on 127.0.0.1, reached through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REGION = "us-east-1"


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """boto3 pointed at the moto server with fake credentials; returns a Secrets Manager client for set-up."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    import boto3

    return boto3.client("secretsmanager")


@pytest.fixture
def make_secret(aws: Any) -> Callable[[Any], str]:
    """Create a secret (a JSON value, or a string as is) with a unique name; return its ARN."""

    def make(value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value)
        return str(aws.create_secret(Name=f"threatlake/test-{uuid.uuid4().hex}", SecretString=text)["ARN"])

    return make


@pytest.fixture
def make_queue(aws: Any) -> Callable[[], str]:
    """Create an SQS queue (a dead-letter queue) with a unique name; return its URL."""
    import boto3

    sqs = boto3.client("sqs")
    return lambda: str(sqs.create_queue(QueueName=f"threatlake-dlq-{uuid.uuid4().hex}")["QueueUrl"])


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue (body parsed, attributes as name -> string), deleted as read."""
    import boto3

    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    for _ in range(20):  # bounded: moto answers at once
        reply = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        )
        messages = reply.get("Messages", [])
        if not messages:
            break
        for message in messages:
            attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
            found.append({"body": json.loads(message["Body"]), "attributes": attributes})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found
