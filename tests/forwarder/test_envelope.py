"""What the Lambda can be invoked with, unwrapped to the raw events in one place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.forwarder.samples import eventbridge_samples
from threatlake.forwarder.deadletter import Rejected, message
from threatlake.forwarder.envelope import unwrap
from threatlake.forwarder.errors import EnvelopeError

A, B, C = list(eventbridge_samples().values())[:3]


def sqs(*bodies: Any) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": str(i), "eventSource": "aws:sqs", "body": json.dumps(body)}
            for i, body in enumerate(bodies)
        ]
    }


def on_failure_record(payload: Any) -> dict[str, Any]:
    return {
        "version": "1.0",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "requestContext": {"requestId": "r", "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "gave up"},
    }


def dead_letter(event: Any) -> dict[str, Any]:
    """The forwarder's own dead letter, as deadletter.py writes it."""
    rejected = Rejected(event, "FINDINGS_REJECTED", "1 finding rejected by the endpoint: bad", 202)
    return json.loads(
        message(rejected, endpoint="https://x", request_id="r", time="2026-01-01T00:00:00.000Z")
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (A, [A]),
        ([A, B], [A, B]),
        ([], []),
        (sqs(A, [B, C]), [A, B, C]),
        (on_failure_record(A), [A]),
        (sqs(on_failure_record(B)), [B]),
        (sqs(dead_letter(A), dead_letter(C)), [A, C]),
    ],
    ids=[
        "eventbridge",
        "list",
        "empty-list",
        "sqs",
        "on-failure-record",
        "sqs-of-dlq-records",
        "dead-letters",
    ],
)
def test_unwrap(payload: Any, expected: list[Any]) -> None:
    assert unwrap(payload) == expected


def test_events_are_not_copied_or_changed() -> None:
    [event] = unwrap(A)
    assert event is A


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("a string", r"event: expected an event object, got str"),
        ([A, None], r"event\[1\]: expected an event object, got null"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "{"}]}, r"Records\[0\]\.body: not JSON"),
        ({"Records": [{"eventSource": "aws:sqs", "body": None}]}, r"expected a JSON string"),
        ([[[[[[A]]]]]], "nested too deeply"),
    ],
)
def test_not_an_event(payload: Any, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        unwrap(payload)
