"""Bytes to JSON documents: gzip, a JSON value, or NDJSON, with byte offsets in every error.

Pure: the caller reads the bytes. Limits are arguments so the service and the CLI share one decoder.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Any

import orjson

from threatlake.errors import SourceError

__all__ = ["DEFAULT_MAX_DECOMPRESSED", "Document", "decode"]

DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024
_NOT_JSON_WHITESPACE = re.compile(rb"[^ \t\n\r]")

# A decoded document and where it came from ("" for a whole JSON body, "line 3" for NDJSON).
Document = tuple[str, Any]


def decode(
    data: bytes, *, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
) -> Iterator[Document | SourceError]:
    """Yield each JSON document of ``data``, or a located ``SourceError`` for each undecodable part.

    A gzip body is inflated first (never beyond ``max_decompressed`` bytes). A body that is one JSON value
    yields it; otherwise, when one of its first lines is a JSON object on its own, the body is read as NDJSON,
    line by line, so one bad line loses only itself.
    """
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, max_decompressed)
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if not data.strip():
        return
    if _ndjson_for_sure(data):
        yield from _ndjson(data)
        return
    try:
        yield "", orjson.loads(data)
        return
    except orjson.JSONDecodeError as whole_error:
        if not _looks_like_ndjson(data):
            yield SourceError(_reason(whole_error), f"byte {whole_error.pos}")
            return
    yield from _ndjson(data)


def _ndjson(data: bytes) -> Iterator[Document | SourceError]:
    offset = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        try:
            yield f"line {number}", orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield SourceError(_reason(error), f"line {number} (byte {start + error.pos})")


def _ndjson_for_sure(data: bytes) -> bool:
    """True when the first line is a JSON object on its own and more than JSON whitespace follows it.

    Parsing the whole body would then fail (one value, then trailing data), so it is not attempted: orjson
    reads the whole body before it fails, a cost as large as decoding many lines.
    """
    end = data.find(b"\n")
    if end < 0 or not _NOT_JSON_WHITESPACE.search(data, end):
        return False
    try:
        return isinstance(orjson.loads(data[:end]), dict)
    except orjson.JSONDecodeError:
        return False


def _looks_like_ndjson(data: bytes) -> bool:
    """True when one of the first lines is a whole JSON object: NDJSON, perhaps with a bad line."""
    lines = [line for line in data.split(b"\n", 4)[:4] if line.strip()]
    for line in lines[:3]:
        try:
            if isinstance(orjson.loads(line), dict):
                return True
        except orjson.JSONDecodeError:
            continue
    return False


def _reason(error: orjson.JSONDecodeError) -> str:
    return f"invalid JSON: {error.msg}"


def _gunzip(data: bytes, limit: int) -> bytes:
    """Inflate every gzip member of ``data``, refusing to produce more than ``limit`` bytes."""
    out = bytearray()
    pending = data
    try:
        while pending:
            inflater = zlib.decompressobj(wbits=31)
            chunk = inflater.decompress(pending, _CHUNK)
            while True:
                out += chunk
                if len(out) > limit:
                    raise SourceError(f"decompressed body exceeds the limit of {limit} bytes", "gzip")
                if inflater.eof or (not inflater.unconsumed_tail and not chunk):
                    break
                chunk = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
            if not inflater.eof:
                raise SourceError("truncated gzip stream", "gzip")
            pending = inflater.unused_data.lstrip(b"\x00")
    except zlib.error as error:
        raise SourceError(f"invalid gzip data: {error}", "gzip") from None
    return bytes(out)
