"""Property tests: mutated and truncated findings never raise anything but a located rejection, and one
bad finding in a batch never loses the good ones."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import golden
from threatlake.pipeline.mapping import IngestContext, map_bytes, map_documents
from threatlake.sources.envelope import unwrap

CTX = IngestContext(received_at=datetime(2027, 1, 1, tzinfo=UTC))


def _findings() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in golden.inputs():
        if path.suffix != ".json":
            continue
        for item in unwrap(orjson.loads(path.read_bytes())):
            if not isinstance(item, Exception):
                found.append(item.raw)
    return found


FINDINGS = _findings()

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
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


def _mutate(finding: dict[str, Any], path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    mutated = copy.deepcopy(finding)
    if not path:
        return value
    parent = mutated
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return mutated


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=_values, delete=st.booleans())
def test_mutated_findings_are_mapped_or_rejected_with_a_location(
    data: st.DataObject, value: Any, delete: bool
) -> None:
    finding = data.draw(st.sampled_from(FINDINGS))
    path = data.draw(st.sampled_from(_paths(finding)))
    mutated = _mutate(finding, path, value, delete)
    good = FINDINGS[0]
    batch = map_documents([good, mutated, good], CTX)  # anything but a rejection propagates and fails
    for rejection in batch.rejections:
        assert rejection.location.startswith("[1]") and rejection.reason
    good_ids = {e["finding.id"] for e in map_documents([good], CTX).events}
    assert good_ids <= {e.get("finding.id") for e in batch.events}


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_truncated_bodies_never_crash(data: st.DataObject) -> None:
    body = orjson.dumps(data.draw(st.sampled_from(FINDINGS)))
    cut = data.draw(st.integers(0, len(body)))
    batch = map_bytes(body[:cut], CTX, "body")
    if cut < len(body):
        assert batch.events == [] or cut == 0
        assert all(r.location.startswith("body") for r in batch.rejections)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_ndjson_with_a_truncated_line_keeps_the_other_lines(data: st.DataObject) -> None:
    picked = data.draw(st.lists(st.sampled_from(FINDINGS), min_size=2, max_size=4))
    bad = data.draw(st.integers(0, len(picked) - 1))
    lines = [orjson.dumps(f) for f in picked]
    lines[bad] = lines[bad][: len(lines[bad]) // 2]
    batch = map_bytes(b"\n".join(lines), CTX, "x.ndjson")
    assert [r.location.split(" (")[0] for r in batch.rejections] == [f"x.ndjson line {bad + 1}"]
    expected = {orjson.dumps(f) for i, f in enumerate(picked) if i != bad}
    got = {orjson.dumps(orjson.loads(e["dt.raw_data"])) for e in batch.events}
    assert got == expected
