"""Request bodies: size limits while streaming, content type and encoding, gzip, JSON and NDJSON, depth.

Limits are enforced before work is spent: the declared ``Content-Length`` up front, the bytes actually
received while streaming, the inflated size while decompressing (a gzip bomb stops at the limit), and the
nesting depth (orjson refuses anything over 1024 levels itself; the configured limit is checked on the
parsed containers, which costs a few microseconds per finding).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request

from threatlake.errors import BodyTooLargeError, MediaTypeError, RequestError
from threatlake.pipeline.mapping import Rejection

__all__ = ["JSON_TYPES", "Body", "Limits", "decode_body", "read_body"]

JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
_ENCODINGS = ("", "identity", "gzip", "x-gzip")
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    max_body: int
    max_decompressed: int
    max_depth: int


@dataclass(slots=True)
class Body:
    """The JSON documents of a body, each with its location, and the parts that could not be decoded."""

    documents: list[tuple[str, Any]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body; BodyTooLargeError as soon as the declared or received size passes ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise RequestError("Invalid Content-Length header") from None
        if size > limit:
            raise BodyTooLargeError(
                f"Body of {size} bytes is over the limit of {limit} bytes", {"limit": limit}
            )
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLargeError(f"Body is over the limit of {limit} bytes", {"limit": limit})
        chunks.append(chunk)
    return b"".join(chunks)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_body(data: bytes, content_type: str | None, content_encoding: str | None, limits: Limits) -> Body:
    """Check the type and encoding, inflate, and parse ``data`` into located JSON documents."""
    media = _media_type(content_type)
    if media not in JSON_TYPES + NDJSON_TYPES:
        raise MediaTypeError(
            f"Unsupported content type {media or '(none)'!r}: send application/json or application/x-ndjson",
            {"contentType": media},
        )
    encoding = (content_encoding or "").strip().lower()
    if encoding not in _ENCODINGS:
        raise MediaTypeError(f"Unsupported content encoding {encoding!r}: send gzip or identity")
    if encoding in ("gzip", "x-gzip"):
        data = _gunzip(data, limits.max_decompressed)
    elif len(data) > limits.max_decompressed:
        raise BodyTooLargeError(f"Body is over the limit of {limits.max_decompressed} bytes")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if not data.strip():
        raise RequestError("Empty body: send a JSON object, a JSON array or NDJSON")
    if media in NDJSON_TYPES:
        return _ndjson(data, limits.max_depth)
    value = _loads(data, limits.max_depth, 0)
    if isinstance(value, list):
        return Body([(f"[{index}]", item) for index, item in enumerate(value)])
    return Body([("", value)])


def _gunzip(data: bytes, limit: int) -> bytes:
    """Inflate every gzip member of ``data``, never more than ``limit`` bytes in all."""
    out: list[bytes] = []
    size = 0
    rest = data
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while rest and not inflater.eof:
                piece = inflater.decompress(rest, min(_CHUNK, limit - size + 1))
                size += len(piece)
                if size > limit:
                    raise BodyTooLargeError(
                        f"Body inflates to more than the limit of {limit} bytes", {"limit": limit}
                    )
                out.append(piece)
                rest = inflater.unconsumed_tail
        except zlib.error as error:
            raise RequestError(f"Invalid gzip body: {error}") from None
        if not inflater.eof:
            raise RequestError("Invalid gzip body: truncated")
        rest = inflater.unused_data
    return b"".join(out)


def _loads(data: bytes, max_depth: int, base: int) -> Any:
    """One JSON value; RequestError naming the byte offset (``base`` + position) of what is wrong."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise _json_error(data, error, base) from None
    if _too_deep(value, max_depth):
        raise RequestError(f"JSON nested deeper than {max_depth} levels", {"maxDepth": max_depth})
    return value


def _json_error(data: bytes, error: orjson.JSONDecodeError, base: int) -> RequestError:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        offset = base + bad.start
        return RequestError(f"Invalid UTF-8 at byte {offset}", {"offset": offset})
    if "depth limit" in error.msg:
        return RequestError("JSON nested too deeply", {"offset": base + len(text[: error.pos].encode())})
    offset = base + len(text[: error.pos].encode())
    return RequestError(f"Invalid JSON at byte {offset}: {error.msg}", {"offset": offset})


def _too_deep(value: Any, limit: int) -> bool:
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _ndjson(data: bytes, max_depth: int) -> Body:
    """One document per line; a bad line is a rejection and the other lines go on."""
    body = Body()
    offset = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        location = f"line {number}"
        try:
            body.documents.append((location, _loads(line, max_depth, start)))
        except RequestError as error:
            body.rejections.append(Rejection(location, error.message))
    return body
