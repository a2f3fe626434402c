"""Transport envelopes: unwrap EventBridge events, API responses and batches into single findings.

One place knows every wrapper AWS puts around a finding; the format mappers see only the finding itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from threatlake.errors import SourceError
from threatlake.sources.source import Finding, TooDeep

__all__ = ["EVENTBRIDGE_SOURCES", "finding_arrays", "unwrap"]

_MAX_ARRAY_NESTING = 2

# (EventBridge source, detail-type) -> (Threatlake source name, does the detail hold a `findings` array?)
EVENTBRIDGE_SOURCES: dict[tuple[str, str], tuple[str, bool]] = {
    ("aws.guardduty", "GuardDuty Finding"): ("guardduty", False),
    ("aws.securityhub", "Security Hub Findings - Imported"): ("securityhub", True),
    # The 2019 name of the same event, before "- Imported" was added: still sent by old rules and replays.
    ("aws.securityhub", "Security Hub Findings"): ("securityhub", True),
    ("aws.securityhub", "Security Hub Findings - Custom Action"): ("securityhub", True),
    ("aws.securityhub", "Security Hub Insight Results"): ("securityhub", True),
    ("aws.securityhub", "Findings Imported V2"): ("securityhub_ocsf", True),
}


def unwrap(doc: Any, location: str = "") -> Iterator[Finding | SourceError]:
    """Yield every finding inside ``doc`` (or a located error for a part that is not one)."""
    yield from _unwrap(doc, location, 0)


def _unwrap(doc: Any, location: str, depth: int) -> Iterator[Finding | SourceError]:
    if isinstance(doc, list):
        if depth >= _MAX_ARRAY_NESTING:
            yield SourceError("arrays nested too deeply: expected findings or envelopes", location)
            return
        for index, item in enumerate(doc):
            yield from _unwrap(item, f"{location}[{index}]", depth + 1)
        return
    if type(doc) is TooDeep:
        yield SourceError(doc.error.reason, location or "document", offset=doc.error.offset)
        return
    if not isinstance(doc, dict):
        kind = "null" if doc is None else type(doc).__name__
        yield SourceError(f"expected a JSON object or array, got {kind}", location or "document")
        return
    for matches, handler in _WRAPPERS:
        if matches(doc):
            yield from handler(doc, location, depth)
            return
    yield Finding(raw=doc, location=location)


def finding_arrays(doc: Any) -> list[tuple[tuple[str, ...], list[Any]]]:
    """The arrays of findings ``unwrap`` reads in a batch object (a known EventBridge event's
    ``detail.findings``, an API page's ``Findings``), each with its key path; none for anything else."""
    if type(doc) is not dict:
        return []
    if _is_eventbridge(doc):
        known = EVENTBRIDGE_SOURCES.get((doc.get("source"), doc.get("detail-type")))  # type: ignore[arg-type]
        detail = doc["detail"]
        if known and known[1] and type(detail) is dict and type(detail.get("findings")) is list:
            return [(("detail", "findings"), detail["findings"])]
        return []
    key = _findings_key(doc)
    return [((key,), doc[key])] if key is not None else []


def _is_eventbridge(doc: dict[str, Any]) -> bool:
    return "detail-type" in doc and "detail" in doc and "source" in doc


def _eventbridge(doc: dict[str, Any], location: str, depth: int) -> Iterator[Finding | SourceError]:
    key = (doc.get("source"), doc.get("detail-type"))
    known = EVENTBRIDGE_SOURCES.get(key)  # type: ignore[arg-type]
    if known is None:  # another EventBridge event: kept whole, as a custom event
        yield Finding(raw=doc, location=location)
        return
    source, batched = known
    detail = doc["detail"]
    where = f"{location}.detail" if location else "detail"
    if not isinstance(detail, dict):
        yield SourceError(f"expected an object in 'detail' of a '{key[1]}' event", where)
        return
    context = {
        "source": source,
        "envelope_time": _text(doc.get("time")),
        "region": _text(doc.get("region")),
        "account": _text(doc.get("account")),
    }
    if not batched:
        yield Finding(raw=detail, location=where, **context)
        return
    findings = detail.get("findings")
    if not isinstance(findings, list):
        yield SourceError("expected an array in 'detail.findings'", where)
        return
    for index, item in enumerate(findings):
        item_where = f"{where}.findings[{index}]"
        if isinstance(item, dict):
            yield Finding(raw=item, location=item_where, **context)
        elif type(item) is TooDeep:
            yield SourceError(item.error.reason, item_where, offset=item.error.offset)
        else:
            yield SourceError(f"expected a finding object, got {type(item).__name__}", item_where)


def _findings_key(doc: dict[str, Any]) -> str | None:
    for key in ("Findings", "findings"):
        if isinstance(doc.get(key), list) and len(doc) <= 3:  # API page: Findings (+ NextToken, ...)
            return key
    return None


def _api_response(doc: dict[str, Any], location: str, depth: int) -> Iterator[Finding | SourceError]:
    key = _findings_key(doc)
    assert key is not None
    prefix = f"{location}.{key}" if location else key
    for index, item in enumerate(doc[key]):
        yield from _unwrap(item, f"{prefix}[{index}]", _MAX_ARRAY_NESTING)


def _is_recorded_response(doc: dict[str, Any]) -> bool:
    # A recorded boto3 response: {"status_code": 200, "data": {...}} (as test suites record them).
    return set(doc) == {"status_code", "data"} and isinstance(doc["data"], dict)


def _recorded_response(doc: dict[str, Any], location: str, depth: int) -> Iterator[Finding | SourceError]:
    yield from _unwrap(doc["data"], f"{location}.data" if location else "data", depth)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


_Handler = Callable[[dict[str, Any], str, int], Iterator[Finding | SourceError]]
_WRAPPERS: tuple[tuple[Callable[[dict[str, Any]], bool], _Handler], ...] = (
    (_is_eventbridge, _eventbridge),
    (lambda doc: _findings_key(doc) is not None, _api_response),
    (_is_recorded_response, _recorded_response),
)
