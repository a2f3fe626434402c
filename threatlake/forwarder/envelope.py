"""What the Lambda is invoked with → the raw events to forward. The one place that knows the wrappers.

- an EventBridge event (the rule's target input): forwarded whole, exactly as EventBridge delivered it
- a list of events (a manual or batched invocation)
- an SQS batch (``Records[].body``, each body JSON: an event or a list of events)
- an on-failure destination record (``requestPayload`` holds the original invocation), and the forwarder's
  own dead letter (``event`` holds the rejected event, deadletter.py), so messages from the dead-letter queue
  can be replayed through the same function
"""

from __future__ import annotations

import json
from typing import Any

from .deadletter import MARKER
from .errors import EnvelopeError

__all__ = ["unwrap"]

_MAX_DEPTH = 4


def unwrap(payload: Any) -> list[dict[str, Any]]:
    """Every event in ``payload``, in order; raise ``EnvelopeError`` for anything that is not one."""
    events: list[dict[str, Any]] = []
    _collect(payload, "event", 0, events)
    return events


def _collect(item: Any, where: str, depth: int, out: list[dict[str, Any]]) -> None:
    if depth > _MAX_DEPTH:
        raise EnvelopeError(f"{where}: wrappers nested too deeply")
    if isinstance(item, list):
        for index, element in enumerate(item):
            _collect(element, f"{where}[{index}]", depth + 1, out)
    elif not isinstance(item, dict):
        kind = "null" if item is None else type(item).__name__
        raise EnvelopeError(f"{where}: expected an event object, got {kind}")
    elif _is_sqs_batch(item):
        for index, record in enumerate(item["Records"]):
            location = f"{where}.Records[{index}].body"
            _collect(_json(record.get("body"), location), location, depth + 1, out)
    elif _is_destination_record(item):
        _collect(item["requestPayload"], f"{where}.requestPayload", depth + 1, out)
    elif isinstance(item.get(MARKER), dict) and "event" in item:
        _collect(item["event"], f"{where}.event", depth + 1, out)
    else:
        out.append(item)


def _is_sqs_batch(item: dict[str, Any]) -> bool:
    records = item.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, dict) and r.get("eventSource") == "aws:sqs" for r in records)
    )


def _is_destination_record(item: dict[str, Any]) -> bool:
    # What Lambda writes to an on-failure destination for an asynchronous invocation.
    return "requestPayload" in item and isinstance(item.get("requestContext"), dict)


def _json(body: Any, where: str) -> Any:
    if not isinstance(body, str):
        raise EnvelopeError(f"{where}: expected a JSON string")
    try:
        return json.loads(body)
    except ValueError as error:
        raise EnvelopeError(f"{where}: not JSON ({error})") from None
