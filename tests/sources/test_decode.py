from __future__ import annotations

import gzip
import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threatlake.errors import SizeLimitError, SourceError
from threatlake.sources.decode import _nests_within, _within, decode
from threatlake.sources.envelope import unwrap


def test_one_json_value() -> None:
    assert list(decode(b' {"a": [1, 2]} ')) == [("", {"a": [1, 2]})]
    assert list(decode(b"[1, 2]")) == [("", [1, 2])]


def test_empty_and_bom() -> None:
    assert list(decode(b"  \n ")) == []
    assert list(decode(b'\xef\xbb\xbf{"a": 1}')) == [("", {"a": 1})]


def test_ndjson_keeps_good_lines_and_locates_bad_ones() -> None:
    items = list(decode(b'{"a": 1}\n\n{"b": oops}\n{"c": 3}\n'))
    assert items[0] == ("line 1", {"a": 1})
    assert isinstance(items[1], SourceError)
    assert items[1].location == "line 3"
    assert items[1].reason.startswith("invalid JSON at byte 16: ")
    assert items[1].offset == 16
    assert items[2] == ("line 4", {"c": 3})


def test_invalid_single_document_names_the_byte_offset() -> None:
    (error,) = list(decode(b'{\n  "a": 1,\n  "b": \n}'))
    assert isinstance(error, SourceError)
    assert (error.location, error.offset) == ("", 20)
    assert error.reason.startswith("invalid JSON at byte 20: ")


def test_offsets_count_bytes_not_characters() -> None:
    (error,) = list(decode('{"é": x}'.encode()))
    assert isinstance(error, SourceError) and error.offset == 7


def test_framing_can_be_imposed() -> None:
    assert list(decode(b'{"a": 1}\n{"b": 2}', ndjson=True)) == [("line 1", {"a": 1}), ("line 2", {"b": 2})]
    (error,) = list(decode(b'{"a": 1}\n{"b": 2}', ndjson=False))
    assert isinstance(error, SourceError) and error.offset == 9
    with pytest.raises(SourceError, match="invalid gzip"):
        list(decode(b'{"a": 1}', gzip=True))


def test_depth_and_plain_size_limits() -> None:
    (error,) = list(decode(b'{"a": [[[1]]]}', max_depth=3))
    assert isinstance(error, SourceError) and "nested deeper than 3" in error.reason
    assert list(decode(b"[[[1]]]", max_depth=3)) == [("", [[[1]]])]
    with pytest.raises(SizeLimitError):
        list(decode(gzip.compress(b"[1, 2, 3]"), max_decompressed=4))
    assert list(decode(b"[1, 2, 3]", max_decompressed=4)) == [("", [1, 2, 3])]  # only inflation is bounded


def test_invalid_utf8_is_an_error_not_a_crash() -> None:
    (error,) = list(decode(b'{"a": "\xff\xfe"}'))
    assert isinstance(error, SourceError)


def test_gzip_single_and_multi_member() -> None:
    assert list(decode(gzip.compress(b'{"a": 1}'))) == [("", {"a": 1})]
    two = gzip.compress(b'{"a": 1}\n') + gzip.compress(b'{"b": 2}\n')
    assert list(decode(two)) == [("line 1", {"a": 1}), ("line 2", {"b": 2})]


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b" " * (4 * 1024 * 1024))
    with pytest.raises(SourceError, match="exceeds the limit of 1048576 bytes"):
        list(decode(bomb, max_decompressed=1024 * 1024))


def test_truncated_and_corrupt_gzip() -> None:
    data = gzip.compress(b'{"a": 1}' * 100)
    with pytest.raises(SourceError, match="truncated gzip"):
        list(decode(data[: len(data) // 2]))
    with pytest.raises(SourceError, match="invalid gzip"):
        list(decode(b"\x1f\x8b" + b"\x00" * 30))


def _unwrapped(data: bytes, max_depth: int) -> list[Any]:
    return [item for document in decode(data, max_depth=max_depth) for item in unwrap(document[1])]


def test_a_finding_nested_too_deeply_is_rejected_alone_with_its_location_and_offset() -> None:
    deep = b'{"a":' * 74 + b"1" + b"}" * 74
    body = b'[{"good": 1},\n ' + deep + b', {"good": 2}]'
    first, error, last = _unwrapped(body, 64)
    assert (first.raw, first.location, last.raw, last.location) == ({"good": 1}, "[0]", {"good": 2}, "[2]")
    assert isinstance(error, SourceError) and error.location == "[1]"
    assert error.offset == body.index(b'{"a"') and f"byte {error.offset}" in error.reason
    assert "deeper than 64" in error.reason


def test_a_deep_finding_inside_an_eventbridge_batch_rejects_only_itself() -> None:
    deep = b'{"Id": "deep", "x": ' + b"[" * 70 + b"]" * 70 + b"}"
    findings = b'[{"Id": "a"}, ' + deep + b', {"Id": "b"}, ' + deep + b"]"
    envelope = (
        b'{"source": "aws.securityhub", "detail-type": "Security Hub Findings - Imported", '
        b'"detail": {"findings": ' + findings + b"}}"
    )
    items = _unwrapped(envelope, 64)
    assert [getattr(item, "raw", None) for item in items] == [{"Id": "a"}, None, {"Id": "b"}, None]
    errors = [item for item in items if isinstance(item, SourceError)]
    assert [e.location for e in errors] == ["detail.findings[1]", "detail.findings[3]"]
    second = envelope.index(b'{"Id": "deep"', envelope.index(b'{"Id": "b"}'))
    assert [e.offset for e in errors] == [envelope.index(b'{"Id": "deep"'), second]


def test_a_deep_object_that_is_not_a_batch_is_rejected_whole() -> None:
    body = b'{"source": "custom", "detail": ' + b"[" * 70 + b"]" * 70 + b"}"
    (error,) = list(decode(body, max_depth=64))
    assert isinstance(error, SourceError) and "deeper than 64" in error.reason


_TRICKY_TEXT = st.text(alphabet='[]{}"\\ab\n\u00e9', max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY_TEXT, inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(value=_JSON, budget=st.integers(min_value=0, max_value=8), indent=st.booleans())
def test_the_byte_pre_scan_of_depth_agrees_with_the_walk(value: Any, budget: int, indent: bool) -> None:
    """Brackets, quotes and backslashes inside strings (and keys) never fool the pre-scan."""
    data = orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0)
    assert _nests_within(data, budget) is _within(value, budget)
    assert _nests_within(json.dumps(value).encode(), budget) is _within(value, budget)  # \\uXXXX escapes
