"""Typed decode: EventBridge events of ASFF findings read with msgspec, only the keys the mapper reads.

The generic path decodes every key of a finding into dicts (``orjson.loads``) and writes the whole finding
again for ``dt.raw_data`` (``orjson.dumps``). Here an event's bytes are decoded once into typed structs that
keep each finding's own bytes (``msgspec.Raw``: ``dt.raw_data`` as received, never re-encoded) and a dict of
only the keys ``securityhub`` reads (``_Finding``; the keys under them whole). The mapper is the same code
either way, so every mapped event is the same.

The fast path is taken only where it is sure to agree with the generic one; anything else returns None and
the caller decodes generically, so every error message and location stays as it was: a value of another
type than declared (``msgspec.ValidationError``), bytes orjson would refuse and msgspec not (non-UTF-8,
nesting past orjson's limit), an event of another source, a resource holding none of the keys read (the
mapper tests a resource for emptiness).

Two differences are left, both about numbers no finding carries, because finding them costs more (a scan of
every byte, 30-80 µs a finding in Python) than the typed decode saves: a number beyond a double's range
(``1e999``) in a key the mapper never reads is accepted (orjson refuses the whole document), and an integer
past 64 bits in a key it reads stays exact (orjson reads it as a float).
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec
import orjson

from threatlake.sources.envelope import EVENTBRIDGE_SOURCES
from threatlake.sources.source import TypedEvent

__all__ = ["typed_document"]

# The detail-types whose findings are ASFF (the generic envelope's table decides which).
_TYPED: dict[tuple[str, str], str] = {
    key: source for key, (source, batched) in EVENTBRIDGE_SOURCES.items() if source == "securityhub"
}
# orjson refuses nesting past 1,024 levels; fewer containers than this cannot nest that deep.
_MAX_CONTAINERS = 1000
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, RecursionError)


class _Severity(TypedDict, total=False):
    Label: Any
    Normalized: Any


class _Resource(TypedDict, total=False):
    Type: Any
    Id: Any
    Region: Any
    Details: Any
    Tags: Any


class _Finding(TypedDict, total=False):
    Id: Any
    Types: Any
    FindingProviderFields: Any
    ProductArn: Any
    ProductName: Any
    CompanyName: Any
    ProductFields: Any
    Workflow: Any
    WorkflowState: Any
    Title: Any
    Description: Any
    CreatedAt: Any
    FirstObservedAt: Any
    UpdatedAt: Any
    Severity: _Severity | None
    RecordState: Any
    SourceUrl: Any
    AwsAccountId: Any
    Region: Any
    Resources: list[_Resource] | None
    Compliance: Any
    GeneratorId: Any
    Network: Any
    Action: Any
    Vulnerabilities: Any


class _Detail(msgspec.Struct):
    findings: list[msgspec.Raw]


class _Event(msgspec.Struct):
    detail: msgspec.Raw
    source: Any = None
    detail_type: Any = msgspec.field(default=None, name="detail-type")
    time: Any = None
    region: Any = None
    account: Any = None


_EVENT = msgspec.json.Decoder(_Event)
_DETAIL = msgspec.json.Decoder(_Detail)
_FINDING = msgspec.json.Decoder(_Finding)
_ELEMENTS = msgspec.json.Decoder(list[msgspec.Raw])


def typed_document(data: bytes) -> TypedEvent | list[Any] | None:
    """``data`` (one JSON value, already within the caller's depth limit) read by the typed path: a
    ``TypedEvent`` for an event of ASFF findings, a list for an array holding at least one (its other
    elements decoded generically), or None when the generic path must decode it."""
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError:
            return None
    if data.count(b"[") + data.count(b"{") > _MAX_CONTAINERS:
        return None
    start = data[:1] if data[:1] in b"[{" else data.lstrip()[:1]
    if start == b"{":
        return _typed_event(data)
    if start != b"[":
        return None
    try:
        elements = _ELEMENTS.decode(data)
    except _DECODE_ERRORS:
        return None
    typed = [_typed_event(element) for element in elements]
    if not any(typed):
        return None
    return [
        event if event is not None else orjson.loads(bytes(element))
        for event, element in zip(typed, elements, strict=True)
    ]


def _typed_event(data: bytes | msgspec.Raw) -> TypedEvent | None:
    try:
        event = _EVENT.decode(data)
        if type(event.source) is not str or type(event.detail_type) is not str:
            return None
        source = _TYPED.get((event.source, event.detail_type))
        if source is None:
            return None
        raws = _DETAIL.decode(event.detail).findings
        findings: list[tuple[dict[str, Any], str]] = [
            (_FINDING.decode(raw), bytes(raw).decode())  # type: ignore[misc]
            for raw in raws
        ]
    except _DECODE_ERRORS:
        return None
    for finding, _ in findings:
        if not all(finding.get("Resources") or ()):  # a resource with none of the keys read
            return None
    return TypedEvent(source, findings, _text(event.time), _text(event.region), _text(event.account))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
