from __future__ import annotations

import gzip

import pytest

from threatlake.errors import SizeLimitError, SourceError
from threatlake.sources.decode import decode


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
    (error,) = list(decode(b"[[[[1]]]]", max_depth=3))
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
