"""The typed decode (``sources.typed``) against the generic path: the same events and the same rejections,
at the same locations, on every sample and on generated variants; ``dt.raw_data`` is the finding's bytes."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import golden
from threatlake.pipeline.mapping import Batch, IngestContext, map_bytes
from threatlake.sources.decode import decode
from threatlake.sources.envelope import unwrap
from threatlake.sources.source import TypedEvent
from threatlake.sources.typed import typed_document

CTX = IngestContext(received_at=datetime(2027, 1, 1, tzinfo=UTC))
ASFF_EVENT = "Security Hub Findings - Imported"


def _asff_findings() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in golden.inputs():
        if path.suffix != ".json":
            continue
        for item in unwrap(orjson.loads(path.read_bytes())):
            if not isinstance(item, Exception) and "ProductArn" in item.raw:
                found.append(item.raw)
    return found


FINDINGS = _asff_findings()


def _event(findings: list[Any], detail_type: str = ASFF_EVENT, **envelope: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e1",
        "detail-type": detail_type,
        "source": "aws.securityhub",
        "account": "123456789012",
        "time": "2026-11-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {"findings": findings},
        **envelope,
    }


def _shown(batch: Batch) -> tuple[list[bytes], list[str], int]:
    events = [
        orjson.dumps({k: v for k, v in e.items() if k != "dt.raw_data"}, option=orjson.OPT_SORT_KEYS)
        for e in batch.events
    ]
    return events, [str(r) for r in batch.rejections], batch.findings


def _same(data: bytes) -> Batch:
    """Map ``data`` both ways; assert the same outcome; return the typed batch."""
    typed, generic = map_bytes(data, CTX, "in"), map_bytes(data, CTX, "in", typed=False)
    assert _shown(typed) == _shown(generic)
    for mine, theirs in zip(typed.events, generic.events, strict=True):
        assert orjson.loads(mine["dt.raw_data"]) == orjson.loads(theirs["dt.raw_data"])
    return typed


def _took_typed(data: bytes) -> bool:
    values = [doc[1] for doc in decode(data, typed=True) if isinstance(doc, tuple)]
    return any(type(v) is TypedEvent or (type(v) is list and TypedEvent in map(type, v)) for v in values)


@pytest.mark.parametrize("path", golden.inputs(), ids=lambda p: p.name)
def test_every_fixture_maps_alike(path: Any) -> None:
    _same(path.read_bytes())


def test_the_fast_path_is_taken_and_keeps_the_bytes() -> None:
    line = orjson.dumps(_event(FINDINGS[:2]))
    assert _took_typed(line)
    indented = orjson.dumps(_event(FINDINGS[:1]), option=orjson.OPT_INDENT_2)
    batch = _same(indented)
    finding = orjson.dumps(FINDINGS[0], option=orjson.OPT_INDENT_2).replace(b"\n", b"\n      ")
    assert batch.events[0]["dt.raw_data"].encode() == finding  # as received, indentation and all
    array = b"[" + line + b"," + orjson.dumps({"detail-type": "x", "source": "y", "detail": {}}) + b"]"
    assert _took_typed(array)
    assert len(_same(array).events) > 2


@pytest.mark.parametrize(
    "data",
    [
        orjson.dumps(_event(FINDINGS[:1], detail_type="GuardDuty Finding")),  # not ASFF: generic
        orjson.dumps(_event([FINDINGS[0], None, 3])),  # bad entries: located rejections
        orjson.dumps(_event([{**FINDINGS[0], "Resources": [{"Partition": "aws"}]}])),  # no key read
        orjson.dumps(_event([{**FINDINGS[0], "Resources": {"Type": "AwsAccount"}}])),  # one object
        orjson.dumps(_event([{**FINDINGS[0], "Severity": "HIGH"}])),  # wrong type: the same message
        orjson.dumps(_event([{**FINDINGS[0], "Title": "Café \u00e9"}])),  # UTF-8
        orjson.dumps(_event(FINDINGS[:1]))[:-40],  # truncated: the same offset
        orjson.dumps(_event(FINDINGS[:1])).replace(b"Security", b"Secur\xffity", 1),  # not UTF-8
        b"[" * 1100 + b"]" * 1100,
        orjson.dumps({"detail": {"findings": FINDINGS[:1]}, "source": "aws.securityhub"}),
        orjson.dumps(_event(FINDINGS[:1], time=5, region=None, account={"x": 1})),
        orjson.dumps(_event(FINDINGS[:1])) + b"\n" + orjson.dumps(_event(FINDINGS[1:3])) + b"\nnot json\n",
    ],
)
def test_edges_map_alike(data: bytes) -> None:
    _same(data)


def test_too_deep_goes_the_generic_way() -> None:
    deep: Any = "x"
    for _ in range(70):
        deep = [deep]
    line = orjson.dumps(_event([FINDINGS[0], {**FINDINGS[1], "ProductFields": {"deep": deep}}]))
    assert typed_document(line) is not None  # no limit given: the fast path reads it
    documents = list(decode(line, max_depth=64, typed=True))
    generic = list(decode(line, max_depth=64))
    assert [type(doc[1]) for doc in documents] == [type(doc[1]) for doc in generic] == [dict]


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=5,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            paths.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            paths.extend(_paths(child, (*prefix, index)))
    return paths


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(FINDINGS) - 1),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["set", "delete"]), _values), max_size=4),
    st.booleans(),
)
def test_mutated_findings_map_alike(index: int, edits: list[tuple[int, str, Any]], indent: bool) -> None:
    finding = copy.deepcopy(FINDINGS[index])
    for pick, action, value in edits:
        paths = _paths(finding)[1:]
        if not paths:
            break
        *parents, last = paths[pick % len(paths)]
        holder: Any = finding
        for key in parents:
            holder = holder[key]
        if action == "delete" and isinstance(holder, dict):
            del holder[last]
        else:
            holder[last] = value
    option = orjson.OPT_INDENT_2 if indent else 0
    _same(orjson.dumps(_event([finding, FINDINGS[(index + 1) % len(FINDINGS)]]), option=option))
    _same(orjson.dumps([_event([finding]), {"detail": {"findings": [finding]}}], option=option))
