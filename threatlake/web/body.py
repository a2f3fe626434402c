"""Request bodies: size limits while streaming, content type and encoding, gzip, JSON and NDJSON, depth.

Limits are enforced before work is spent: the declared ``Content-Length`` up front, the bytes actually
received while streaming; then the one decoder (``sources.decode``) bounds the inflated size (a gzip bomb
stops at the limit) and the nesting depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from threatlake.errors import BodyTooLargeError, MediaTypeError, RequestError, SizeLimitError, SourceError
from threatlake.pipeline.mapping import Rejection
from threatlake.sources.decode import decode

__all__ = ["JSON_TYPES", "Body", "Limits", "decode_body", "read_body", "read_json_object"]

JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
_ENCODINGS = ("", "identity", "gzip", "x-gzip")
#: Inflated bytes any gzip body may reach whatever its ratio: small bodies of repeated text are no threat.
_RATIO_FLOOR = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    max_body: int
    max_decompressed: int
    max_depth: int
    #: a gzip body may inflate to at most this many times its size (past ``_RATIO_FLOOR``); 0: no bound
    max_ratio: int = 0


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


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """A small JSON object body (a settings resource); RequestError naming the byte offset otherwise."""
    data = await read_body(request, limit)
    for item in decode(data, max_decompressed=limit, ndjson=False, gzip=False):
        if isinstance(item, SourceError):
            details: dict[str, object] = {"offset": item.offset} if item.offset is not None else {}
            raise RequestError(f"Invalid body: {item.reason}", details)
        if isinstance(item[1], dict):
            return item[1]
    raise RequestError("The body must be a JSON object")


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def decode_body(data: bytes, content_type: str | None, content_encoding: str | None, limits: Limits) -> Body:
    """Check the type and encoding, then decode ``data`` (sources.decode) into located JSON documents.

    A JSON body that cannot be decoded is a 400 naming the byte offset; an NDJSON line that cannot be decoded
    is a rejection and the other lines go on; a body over a size limit is a 413 (``SizeLimitError``)."""
    media = _media_type(content_type)
    if media not in JSON_TYPES + NDJSON_TYPES:
        raise MediaTypeError(
            f"Unsupported content type {media or '(none)'!r}: send application/json or application/x-ndjson",
            {"contentType": media},
        )
    encoding = (content_encoding or "").strip().lower()
    if encoding not in _ENCODINGS:
        raise MediaTypeError(f"Unsupported content encoding {encoding!r}: send gzip or identity")
    ndjson = media in NDJSON_TYPES
    gzipped = encoding in ("gzip", "x-gzip")
    inflated = limits.max_decompressed
    if gzipped and limits.max_ratio:
        inflated = min(inflated, max(len(data) * limits.max_ratio, _RATIO_FLOOR))
    body = Body()
    try:
        for item in decode(
            data, max_decompressed=inflated, max_depth=limits.max_depth, ndjson=ndjson, gzip=gzipped
        ):
            _collect(body, item, ndjson=ndjson)
    except SizeLimitError:
        if inflated >= limits.max_decompressed:
            raise
        raise BodyTooLargeError(
            f"The gzip body of {len(data)} bytes inflates to more than {limits.max_ratio} times its size "
            f"(max_inflate_ratio): refused as a decompression bomb; send smaller or less repetitive batches",
            {"limit": inflated, "ratio": limits.max_ratio},
        ) from None
    if not body.documents and not body.rejections:
        raise RequestError("Empty body: send a JSON object, a JSON array or NDJSON")
    return body


def _collect(body: Body, item: tuple[str, Any] | SourceError, *, ndjson: bool) -> None:
    if not isinstance(item, SourceError):
        body.documents.append(item)
    elif ndjson:
        body.rejections.append(Rejection(item.location, item.reason))
    else:
        details: dict[str, object] = {"offset": item.offset} if item.offset is not None else {}
        raise RequestError(item.reason[:1].upper() + item.reason[1:], details)
