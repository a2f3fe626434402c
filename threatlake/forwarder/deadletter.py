"""Events the endpoint rejected for good, put on the dead-letter queue with their reason.

A finding the endpoint rejects inside a 202, an event it refuses on its own (400, 413 once it is alone in its
request) and an event too large to send at all are not worth retrying: Lambda's retries would send the same
bytes and get the same answer. Each goes to the stack's SQS dead-letter queue at once, as one message:

    {"threatlakeForwarder": {"version": 1, "code": "FINDINGS_REJECTED", "reason": "...", "status": 202,
                             "errors": [{"location": "detail.findings[0]", "message": "..."}],
                             "endpoint": "https://...", "requestId": "...", "time": "2026-...Z"},
     "event": {...the EventBridge event, holding only the rejected findings when the endpoint named them...}}

with the message attributes ``ERROR_CODE`` and ``ERROR_MESSAGE`` (the names EventBridge uses for its own dead
letters). ``envelope.unwrap`` reads such a message back, so the queue can be replayed through the function.
An event too large for an SQS message (256 KiB; EventBridge events are at most 256 KB, so only a manual
invocation gets there) is dead-lettered as ``eventSummary`` instead: its envelope fields and finding ids, and
``eventBytes``, so it is still visible with its reason (such a message is not replayed).
When no queue is configured, or a message cannot be sent, the invocation fails instead (Lambda retries it,
then writes its on-failure record to the queue): either way the event is not dropped.
"""

from __future__ import annotations

import copy
import importlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import DeadLetterError
from .log import emit
from .receipt import FindingError, finding_position

__all__ = ["MARKER", "DeadLetterQueue", "Rejected", "rejected_findings"]

MARKER = "threatlakeForwarder"
# SQS takes messages up to 256 KiB, attributes included.
_MAX_MESSAGE_BYTES = 256 * 1024 - 2048
_MAX_ATTRIBUTE_CHARS = 1000


@dataclass(frozen=True)
class Rejected:
    """An event that will not be delivered as it is, and why."""

    event: Mapping[str, Any]
    code: str  # FINDINGS_REJECTED, EVENT_REFUSED or EVENT_TOO_LARGE
    reason: str
    status: int | None = None  # the HTTP status that refused it; None when it was never sent
    errors: tuple[Mapping[str, str], ...] = ()


def rejected_findings(event: Mapping[str, Any], position: int, errors: Sequence[FindingError]) -> Rejected:
    """The part of ``event`` (at ``position`` in its request) that a 202 rejected, as one ``Rejected``.

    When every error names a finding of the event's ``detail.findings``, the dead letter holds a copy of the
    event with only those findings, so a replay sends nothing the endpoint already stored; otherwise the
    whole event."""
    positions = [finding_position(error.location, position) for error in errors]
    findings = event.get("detail", {}).get("findings") if isinstance(event.get("detail"), dict) else None
    kept: Mapping[str, Any] = event
    listed: list[dict[str, str]] = []
    if isinstance(findings, list) and all(p is not None and p < len(findings) for p in positions):
        chosen = sorted({p for p in positions if p is not None})
        trimmed = copy.copy(dict(event))
        trimmed["detail"] = {**event["detail"], "findings": [findings[p] for p in chosen]}
        kept = trimmed
        for error, found in zip(errors, positions, strict=True):
            entry = {"location": f"detail.findings[{chosen.index(found or 0)}]", "message": error.message}
            finding_id = findings[found or 0].get("Id") if isinstance(findings[found or 0], dict) else None
            if isinstance(finding_id, str):
                entry["findingId"] = finding_id
            listed.append(entry)
    else:
        prefix = f"[{position}]"
        listed = [
            {"location": e.location.removeprefix(prefix).lstrip(".") or "event", "message": e.message}
            for e in errors
        ]
    count = len(errors)
    reason = f"{count} finding{'s' * (count != 1)} rejected by the endpoint: {errors[0].message}"
    return Rejected(kept, "FINDINGS_REJECTED", reason, 202, tuple(listed))


def _sqs_client() -> Any:
    # As in secret.py: boto3 comes from the Lambda runtime and is imported only when a dead letter is sent.
    return importlib.import_module("boto3").client("sqs")


class DeadLetterQueue:
    """Sends ``Rejected`` events to the SQS queue at ``url``, one message each."""

    def __init__(
        self,
        url: str,
        *,
        client_factory: Callable[[], Any] = _sqs_client,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._client_factory = client_factory
        self._clock = clock
        self._client: Any = None

    def put(self, rejected: Sequence[Rejected], *, endpoint: str, request_id: str | None) -> None:
        """Send every one; raise ``DeadLetterError`` when one cannot be sent (the invocation then fails)."""
        if self._client is None:
            self._client = self._client_factory()
        now = (
            datetime.fromtimestamp(self._clock(), UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z")
        )
        for item in rejected:
            body = message(item, endpoint=endpoint, request_id=request_id, time=now)
            if len(body.encode("utf-8")) > _MAX_MESSAGE_BYTES:
                body = message(item, endpoint=endpoint, request_id=request_id, time=now, summary=len(body))
            try:
                self._client.send_message(
                    QueueUrl=self.url,
                    MessageBody=body,
                    MessageAttributes={
                        "ERROR_CODE": {"DataType": "String", "StringValue": item.code},
                        "ERROR_MESSAGE": {
                            "DataType": "String",
                            "StringValue": item.reason[:_MAX_ATTRIBUTE_CHARS],
                        },
                    },
                )
            except Exception as error:  # botocore's errors need boto3 to import: catch them all here
                raise DeadLetterError(f"cannot send to the dead-letter queue {self.url}: {error}") from error
            emit(
                "dead-lettered",
                level="ERROR",
                request_id=request_id,
                code=item.code,
                status=item.status,
                reason=item.reason,
                errors=list(item.errors)[:10],
            )


def message(
    item: Rejected, *, endpoint: str, request_id: str | None, time: str, summary: int | None = None
) -> str:
    """The SQS message body for ``item``; with ``summary`` (the full body's size), a summary of the event."""
    about: dict[str, Any] = {
        "version": 1,
        "code": item.code,
        "reason": item.reason,
        "status": item.status,
        "errors": list(item.errors),
        "endpoint": endpoint,
        "requestId": request_id,
        "time": time,
    }
    if summary is None:
        document: dict[str, Any] = {MARKER: about, "event": item.event}
    else:
        about["eventBytes"] = summary
        document = {MARKER: about, "eventSummary": _summary(item.event)}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _summary(event: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies an event: its envelope fields and the ids of its findings (at most 100)."""
    kept = {k: event[k] for k in _SUMMARY_FIELDS if isinstance(event.get(k), str | int)}
    detail = event.get("detail")
    findings = detail.get("findings") if isinstance(detail, dict) else None
    items = findings[:100] if isinstance(findings, list) else [detail]
    ids = [f.get("Id", f.get("id")) for f in items if isinstance(f, dict)]
    kept["findingIds"] = [i for i in ids if isinstance(i, str)]
    return kept


_SUMMARY_FIELDS = ("id", "source", "detail-type", "account", "region", "time")
