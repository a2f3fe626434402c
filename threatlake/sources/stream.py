"""A delivery read in chunks (a large file): NDJSON decoded part by part, so memory is flat in its size.

``decode_stream`` gives the same documents and errors as ``decode`` over the joined chunks, in parts of at
most ``part_lines`` lines: gzip is inflated as it is read, the first line decides the framing as ``decode``
decides it, and an NDJSON body is split into lines without ever being held whole. A body that is one JSON
value (an array file) cannot be split before it is parsed: it is read whole and decoded as ``decode`` does,
as one part. Pure: the caller reads the chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from threatlake.errors import SourceError
from threatlake.sources.decode import DEFAULT_MAX_DECOMPRESSED, Document, decode, decode_lines, inflate
from threatlake.sources.decode import ndjson_for_sure as _ndjson_for_sure

__all__ = ["PART_LINES", "decode_stream"]

#: Lines decoded (and then mapped) per part: a few MiB of findings, their documents and their events.
PART_LINES = 2_000
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_SNIFF = 4


def decode_stream(
    chunks: Iterable[bytes], *, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED, part_lines: int = PART_LINES
) -> Iterator[list[Document | SourceError]]:
    """Each part of the body read in ``chunks``: a list of documents and located errors, as ``decode``
    yields them (its framing sniffed the same way: gzip magic, byte order mark, NDJSON when the first line
    is an object on its own and more follows). A ``SourceError`` for the gzip framing (invalid, truncated,
    over ``max_decompressed``) is raised after the parts read before it."""
    stream = iter(chunks)
    head = _take(stream, _SNIFF)
    plain: Iterator[bytes] = (
        inflate(_chained(head, stream), max_decompressed)
        if head[:2] == _GZIP_MAGIC
        else _chained(head, stream)
    )
    start = _take(plain, len(_BOM))
    if start[:3] == _BOM:
        start = start[3:]
    first, rest = _first_line(start, plain)
    if not _ndjson_for_sure(first):
        body = first + b"".join(rest)
        yield list(decode(body, max_decompressed=max_decompressed, gzip=False))
        return
    part: list[tuple[int, int, bytes]] = []
    for numbered in _numbered_lines(_chained(first, rest)):
        part.append(numbered)
        if len(part) >= part_lines:
            yield list(decode_lines(part, None))
            part = []
    if part:
        yield list(decode_lines(part, None))


def _take(stream: Iterator[bytes], size: int) -> bytes:
    """At least ``size`` bytes from the start of ``stream`` (fewer only when it ends)."""
    taken = b""
    while len(taken) < size:
        chunk = next(stream, None)
        if chunk is None:
            break
        taken += chunk
    return taken


def _chained(head: bytes, stream: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from stream


def _first_line(start: bytes, stream: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """The bytes read until the first line and something that is not whitespace after it (or the end),
    which is what ``ndjson_for_sure`` looks at, and the rest of the stream."""
    pieces = []
    chunk: bytes | None = start
    newline = False
    while chunk is not None:
        pieces.append(chunk)
        if not newline and (end := chunk.find(b"\n")) >= 0:
            newline, chunk = True, chunk[end:]
        if newline and chunk.strip():
            return b"".join(pieces), stream
        chunk = next(stream, None)
    return b"".join(pieces), iter(())


def _numbered_lines(stream: Iterator[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """Every line with its number and byte offset, as ``decode`` numbers them (the last, possibly empty,
    line after the final newline included)."""
    number, offset = 1, 0
    pending: list[bytes] = []  # the start of a line longer than a chunk, in pieces (never re-copied)
    for chunk in stream:
        cut = chunk.rfind(b"\n")
        if cut < 0:
            pending.append(chunk)
            continue
        data = b"".join((*pending, chunk)) if pending else chunk
        cut += len(data) - len(chunk)
        pending = [data[cut + 1 :]]
        for line in data[:cut].split(b"\n"):
            yield number, offset, line
            number += 1
            offset += len(line) + 1
    yield number, offset, b"".join(pending)
