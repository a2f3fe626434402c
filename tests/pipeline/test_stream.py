"""Streaming a delivery (``map_stream``): the same events and rejections as ``map_bytes``, part by part."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import golden
from threatlake.pipeline.mapping import Batch, IngestContext, map_bytes, map_stream

CTX = golden.CONTEXT


def _chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _joined(batches: Iterator[Batch]) -> Batch:
    whole = Batch()
    for batch in batches:
        whole.extend(batch)
    return whole


def _same(streamed: Batch, whole: Batch) -> None:
    assert streamed.events == whole.events
    assert streamed.rejections == whole.rejections
    assert streamed.findings == whole.findings


@pytest.mark.parametrize("path", golden.inputs(), ids=lambda path: path.name)
@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
def test_every_golden_input_streams_to_the_same_batch(path: Path, size: int) -> None:
    data = path.read_bytes()
    whole = map_bytes(data, CTX, path.name)
    _same(_joined(map_stream(_chunked(data, size), CTX, path.name, part_lines=3)), whole)


def _docs() -> list[object]:
    """Twenty fixture documents (findings, EventBridge events, API pages) of every source."""
    found = []
    for path in golden.inputs():
        doc = orjson.loads(path.read_bytes())
        found.extend(doc if isinstance(doc, list) else [doc])
    return found[:: max(1, len(found) // 20)][:20]


def _ndjson(count: int) -> bytes:
    lines = [orjson.dumps(doc) for doc in _docs()]
    return b"\n".join(lines[index % len(lines)] for index in range(count))


# NDJSON with what a decoder must get right at line and chunk boundaries: a byte order mark, blank lines,
# CRLF, a line that is not JSON, one that is not an object, no final newline.
_MESSY = (
    b"\xef\xbb\xbf"
    + _ndjson(3)
    + b"\r\n\n   \n{not json}\n[1, 2]\n"
    + _ndjson(4)
    + b'\n"text"\n'
    + _ndjson(2)
)


@given(size=st.integers(1, 700), part_lines=st.integers(1, 9), zipped=st.booleans())
@settings(max_examples=60, deadline=None)
def test_messy_ndjson_streams_to_the_same_batch_at_any_chunk_size(
    size: int, part_lines: int, zipped: bool
) -> None:
    data = gzip.compress(_MESSY) if zipped else _MESSY
    whole = map_bytes(data, CTX, "messy.ndjson")
    assert whole.rejections and whole.events  # the fixture exercises both
    _same(_joined(map_stream(_chunked(data, size), CTX, "messy.ndjson", part_lines=part_lines)), whole)


def test_gzip_members_with_padding_stream_like_the_whole_body() -> None:
    data = gzip.compress(_ndjson(5) + b"\n") + b"\x00\x00" + gzip.compress(_ndjson(3))
    whole = map_bytes(data, CTX)
    assert whole.findings >= 8
    _same(_joined(map_stream(_chunked(data, 11), CTX, part_lines=2)), whole)


def test_a_truncated_gzip_stream_is_the_same_rejection_after_the_parts_before_it() -> None:
    data = gzip.compress(_ndjson(40))[:-30]
    whole = map_bytes(data, CTX, "cut.gz")
    assert whole.events == [] and [str(r) for r in whole.rejections] == ["cut.gz gzip: truncated gzip stream"]
    streamed = list(map_stream(_chunked(data, 64), CTX, "cut.gz", part_lines=5))
    assert streamed[-1].rejections == whole.rejections and not streamed[-1].events
    assert sum(len(batch.events) for batch in streamed[:-1]) > 0  # the good parts before it are kept


def test_the_decompression_limit_holds_when_streaming() -> None:
    ctx = IngestContext(received_at=golden.RECEIVED_AT, max_decompressed=10_000)
    data = gzip.compress(_ndjson(50))
    assert [r.reason for r in map_bytes(data, ctx).rejections][-1].startswith("decompressed body exceeds")
    last = list(map_stream(_chunked(data, 512), ctx))[-1]
    assert [r.reason for r in last.rejections] == ["decompressed body exceeds the limit of 10000 bytes"]


def test_a_large_body_is_mapped_before_it_is_read_to_the_end() -> None:
    data = _ndjson(400)
    chunks = list(_chunked(data, 1024))
    read = 0

    def reading() -> Iterator[bytes]:
        nonlocal read
        for chunk in chunks:
            read += 1
            yield chunk

    batches = map_stream(reading(), CTX, part_lines=10)
    first = next(batches)
    assert first.findings >= 10
    assert read < len(chunks) / 4  # memory is bounded by a part, not by the body
    rest = _joined(batches)
    first.extend(rest)
    _same(first, map_bytes(data, CTX))


def test_one_json_value_is_read_whole_and_mapped_as_map_bytes_does() -> None:
    data = orjson.dumps(_docs(), option=orjson.OPT_INDENT_2)
    batches = list(map_stream(_chunked(data, 100), CTX, "array.json", part_lines=1))
    assert len(batches) == 1
    _same(batches[0], map_bytes(data, CTX, "array.json"))
