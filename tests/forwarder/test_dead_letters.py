"""The handler puts what the endpoint rejects for good on the dead-letter queue (moto's SQS), with its reason,
and the queue replays through the same function. Without a queue, the invocation fails instead."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.forwarder.conftest import drain
from tests.forwarder.fakes import FakeContext, FakeTime
from tests.forwarder.samples import guardduty_events, real_findings, securityhub_event
from tests.forwarder.stub import IngestStub, key, serve
from tests.forwarder.test_faults import BAD, not_an_object
from threatlake.forwarder import handler as handler_module
from threatlake.forwarder.config import DEFAULT_SECRET_KEY_NAME
from threatlake.forwarder.deadletter import MARKER
from threatlake.forwarder.errors import DeadLetterError
from threatlake.forwarder.handler import handler

TOKEN = "tl0c01.dead.letters"


@pytest.fixture
def lambda_env(
    make_secret: Callable[[Any], str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[IngestStub, pytest.MonkeyPatch]]:
    """A fresh Lambda container pointing at a stub that rejects findings that are not objects."""
    with serve(reject=not_an_object) as stub:
        monkeypatch.setenv("INGEST_URL", stub.url)
        monkeypatch.setenv("THREATLAKE_SECRET_ARN", make_secret({DEFAULT_SECRET_KEY_NAME: TOKEN}))
        monkeypatch.delenv("DEAD_LETTER_QUEUE_URL", raising=False)
        monkeypatch.setattr(handler_module, "_forwarder", None)
        yield stub, monkeypatch


def invoke(payload: Any) -> dict[str, Any]:
    return handler(payload, FakeContext(FakeTime(), remaining_seconds=60))


def test_a_rejected_finding_is_dead_lettered_with_its_reason_and_the_rest_stored(
    lambda_env: tuple[IngestStub, pytest.MonkeyPatch], make_queue: Callable[[], str]
) -> None:
    stub, env = lambda_env
    queue = make_queue()
    env.setenv("DEAD_LETTER_QUEUE_URL", queue)
    good = real_findings()[:4]
    event = securityhub_event([good[0], good[1], BAD, good[2], good[3]], "five-findings")
    result = invoke(event)  # the reproducer: 5 findings, 1 malformed
    assert result["dead_lettered"] == 1
    assert {key(f) for f in good} == set(stub.stored)
    [message] = drain(queue)
    about = message["body"][MARKER]
    assert (about["code"], about["status"], about["requestId"]) == ("FINDINGS_REJECTED", 202, "test-request")
    assert "expected a finding object, got str" in about["reason"]
    assert about["errors"] == [
        {"location": "detail.findings[0]", "message": "expected a finding object, got str"}
    ]
    assert about["endpoint"] == stub.url and about["time"].endswith("Z")
    assert message["body"]["event"]["id"] == "five-findings"
    assert message["body"]["event"]["detail"]["findings"] == [BAD]
    assert message["attributes"]["ERROR_CODE"] == "FINDINGS_REJECTED"
    assert "expected a finding object" in message["attributes"]["ERROR_MESSAGE"]
    assert TOKEN not in json.dumps(message)


def test_every_kind_of_rejection_reaches_the_queue(
    lambda_env: tuple[IngestStub, pytest.MonkeyPatch], make_queue: Callable[[], str]
) -> None:
    stub, env = lambda_env
    queue = make_queue()
    env.setenv("DEAD_LETTER_QUEUE_URL", queue)
    env.setenv("FORWARD_MAX_BYTES", "4096")
    stub.refuse = lambda events: (400, "refused") if any("refuse-me" in e for e in events) else None
    big = {**guardduty_events()[0], "noise": os.urandom(4096).hex()}
    events = [
        guardduty_events()[1],
        big,
        {**guardduty_events()[2], "refuse-me": True},
        securityhub_event([real_findings()[0], 5]),
    ]
    assert invoke(events)["dead_lettered"] == 3
    codes = sorted(m["body"][MARKER]["code"] for m in drain(queue))
    assert codes == ["EVENT_REFUSED", "EVENT_TOO_LARGE", "FINDINGS_REJECTED"]
    assert len(stub.stored) == 2


def test_a_dead_letter_replays_through_the_function(
    lambda_env: tuple[IngestStub, pytest.MonkeyPatch], make_queue: Callable[[], str]
) -> None:
    stub, env = lambda_env
    queue = make_queue()
    env.setenv("DEAD_LETTER_QUEUE_URL", queue)
    event = securityhub_event([real_findings()[0], BAD])
    invoke(event)
    [message] = drain(queue)
    stub.reject = lambda finding: None  # the endpoint was fixed: it takes the finding now
    before = len(stub.received)
    result = invoke({"Records": [{"eventSource": "aws:sqs", "body": json.dumps(message["body"])}]})
    assert result["dead_lettered"] == 0
    assert stub.received[before].events == [message["body"]["event"]]  # only the rejected finding again
    assert key(BAD) in stub.stored
    assert drain(queue) == []


def test_a_finding_still_rejected_on_replay_is_dead_lettered_again(
    lambda_env: tuple[IngestStub, pytest.MonkeyPatch], make_queue: Callable[[], str]
) -> None:
    _, env = lambda_env
    queue = make_queue()
    env.setenv("DEAD_LETTER_QUEUE_URL", queue)
    invoke(securityhub_event([BAD]))
    [first] = drain(queue)
    invoke(first["body"])  # a manual replay of the message body
    [second] = drain(queue)
    assert second["body"]["event"] == first["body"]["event"]
    assert second["body"][MARKER]["reason"] == first["body"][MARKER]["reason"]


def test_without_a_queue_a_rejection_fails_the_invocation(
    lambda_env: tuple[IngestStub, pytest.MonkeyPatch],
) -> None:
    stub, _ = lambda_env
    good = real_findings()[0]
    with pytest.raises(DeadLetterError, match="expected a finding object, got str"):
        invoke(securityhub_event([good, BAD]))
    assert key(good) in stub.stored  # stored once; Lambda's retries send it again, harmlessly


def test_a_queue_that_cannot_be_reached_fails_the_invocation(
    lambda_env: tuple[IngestStub, pytest.MonkeyPatch], make_queue: Callable[[], str]
) -> None:
    _, env = lambda_env
    env.setenv("DEAD_LETTER_QUEUE_URL", make_queue() + "-deleted")
    with pytest.raises(DeadLetterError, match="cannot send to the dead-letter queue"):
        invoke(securityhub_event([BAD]))
