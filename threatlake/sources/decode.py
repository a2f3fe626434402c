"""Bytes to JSON documents: gzip, one JSON value, or NDJSON, with a byte offset in every error.

The one decoder of the project: the CLI (which sniffs the framing) and the ingest endpoint (which knows it
from the request headers) both use it. Pure: the caller reads the bytes and passes the limits.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from threatlake.errors import SizeLimitError, SourceError
from threatlake.sources.envelope import finding_arrays
from threatlake.sources.source import TooDeep

__all__ = ["DEFAULT_MAX_DECOMPRESSED", "Document", "decode", "decode_lines", "ndjson_for_sure"]

DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024
_NOT_JSON_WHITESPACE = re.compile(rb"[^ \t\n\r]")

# A decoded document and where it came from ("" for a whole JSON body, "line 3" for NDJSON).
Document = tuple[str, Any]

_BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# The depth pre-scan: every container as "[" / "]", everything but quotes and brackets deleted.
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))


def decode(
    data: bytes,
    *,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
    max_depth: int | None = None,
    ndjson: bool | None = None,
    gzip: bool | None = None,
) -> Iterator[Document | SourceError]:
    """Yield each JSON document of ``data``, or a located ``SourceError`` for each undecodable part.

    ``gzip``: inflate (never beyond ``max_decompressed`` bytes, else ``SizeLimitError``); None sniffs the
    gzip magic. ``ndjson``: one document per line, so a bad line loses only itself; False reads one JSON
    value; None reads one value unless one of the first lines is a JSON object on its own. ``max_depth``
    bounds the nesting of every document: in an array or a batch of findings, each element too deep is
    replaced by a ``TooDeep`` (rejected alone, with its byte offset), so its neighbours go on. Errors name
    the byte offset (``invalid JSON at byte 18: ...``).
    """
    if gzip or (gzip is None and data[:2] == _GZIP_MAGIC):
        data = _gunzip(data, max_decompressed)  # plain bodies are bounded by whoever read them
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if not data.strip():
        return
    if ndjson or (ndjson is None and ndjson_for_sure(data)):
        yield from decode_lines(_lines(data), max_depth)
        return
    try:
        yield "", _loads(data, max_depth, 0)
    except SourceError as whole_error:
        if ndjson is None and _looks_like_ndjson(data):
            yield from decode_lines(_lines(data), max_depth)
        else:
            yield whole_error


def decode_lines(
    lines: Iterable[tuple[int, int, bytes]], max_depth: int | None
) -> Iterator[Document | SourceError]:
    """NDJSON: each ``(line number, byte offset, line)`` decoded on its own (blank lines skipped), so a bad
    line loses only itself; located ``line N``, errors with the byte offset in the whole body."""
    for number, start, line in lines:
        if not line.strip():
            continue
        try:
            yield f"line {number}", _loads(line, max_depth, start)
        except SourceError as error:
            yield error.at(f"line {number}")


def _lines(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    offset = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        yield number, offset, line
        offset += len(line) + 1


def _loads(data: bytes, max_depth: int | None, base: int) -> Any:
    """One JSON value; a SourceError naming the byte offset (``base`` + position) of what is wrong."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise _json_error(data, error, base) from None
    if max_depth is not None and not _nests_within(data, max_depth):
        if type(value) is not list and not finding_arrays(value):
            raise SourceError(f"JSON nested deeper than {max_depth} levels", offset=base)
        return _pruned(value, max_depth, _Stretches(data, max_depth, base))
    return value


def _pruned(node: Any, budget: int, deep: _Stretches) -> Any:
    """``node`` (too deep) with each too-deep element of its arrays, and of the finding arrays of its batch
    objects, replaced by a ``TooDeep``: the smallest part that can be rejected alone."""
    if type(node) is list:
        return [
            child if _within(child, budget - 1) else _pruned_child(child, budget - 1, deep) for child in node
        ]
    copy = dict(node)
    for path, items in finding_arrays(node):
        inner = budget - len(path)
        parent = copy
        for key in path[:-1]:
            parent[key] = parent = dict(parent[key])
        parent[path[-1]] = _pruned(items, inner, deep) if inner > 0 else deep.rejected(deep.limit - budget)
    return copy if _within(copy, budget) else deep.rejected(deep.limit - budget)


def _pruned_child(child: Any, budget: int, deep: _Stretches) -> Any:
    if budget > 0 and (type(child) is list or finding_arrays(child)):
        return _pruned(child, budget, deep)
    return deep.rejected(deep.limit - budget)


class _Stretches:
    """Where each rejected element begins in the bytes (only on the error path: one scan of the brackets,
    strings skipped in C by the regular expression). For each stretch deeper than the limit it keeps the
    offsets of the enclosing containers; elements are rejected in document order, so the element at depth
    ``d`` is the ``d``-th container of the first stretch not inside the element rejected before it."""

    def __init__(self, data: bytes, limit: int, base: int) -> None:
        self.limit = limit
        self._stacks: list[tuple[int, ...]] = []
        self._next = 0
        self._last: tuple[int, int] | None = None
        opened: list[int] = []
        for match in _BRACKETS.finditer(data):
            char = data[match.start()]
            if char in b"[{":
                opened.append(base + match.start())
                if len(opened) == limit + 1:
                    self._stacks.append(tuple(opened))
            elif char in b"]}" and opened:
                opened.pop()

    def rejected(self, depth: int) -> TooDeep:
        offset = None
        while self._next < len(self._stacks):
            stack = self._stacks[self._next]
            self._next += 1
            last = self._last
            if last is not None and len(stack) > last[0] and stack[last[0]] == last[1]:
                continue  # a further stretch inside the element rejected before
            if depth < len(stack):
                offset = stack[depth]
                self._last = (depth, offset)
            break
        at = f" (it starts at byte {offset})" if offset is not None else ""
        return TooDeep(SourceError(f"finding nested deeper than {self.limit} levels{at}", offset=offset))


def _json_error(data: bytes, error: orjson.JSONDecodeError, base: int) -> SourceError:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return SourceError(f"invalid UTF-8 at byte {base + bad.start}", offset=base + bad.start)
    offset = base + len(text[: error.pos].encode())  # orjson counts characters, users count bytes
    if "depth limit" in error.msg:
        return SourceError(f"JSON nested too deeply (at byte {offset})", offset=offset)
    return SourceError(f"invalid JSON at byte {offset}: {error.msg}", offset=offset)


def _nests_within(data: bytes, budget: int) -> bool:
    """True when the valid JSON ``data`` nests no deeper than ``budget`` levels: the same answer as
    ``_within`` on its decoded value, in a few C-level passes over the bytes (about half the walk's cost).

    Escaped backslashes, then escaped quotes, are dropped (escapes pair from the left), so every quote left
    delimits a string; all but quotes and brackets are deleted, what lies between quotes (strings) dropped,
    and each pass of ``replace`` removes exactly the innermost layer of containers (what it joins is not
    rescanned).
    """
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    shape = b"".join(data.translate(_AS_SQUARE, _NOT_STRUCTURE).split(b'"')[::2])
    for _ in range(budget):
        if not shape:
            return True
        shape = shape.replace(b"[]", b"")
    return not shape


def _within(node: Any, budget: int) -> bool:
    """True when ``node`` nests no deeper than ``budget`` levels. Visits containers only and stops at the
    budget, so the recursion is bounded by it (a walk over every value cost 3x the parse itself)."""
    if type(node) is dict:
        children: Any = node.values()
    elif type(node) is list:
        children = node
    else:
        return True
    if budget <= 0:
        return False
    for child in children:
        kind = type(child)
        if (kind is dict or kind is list) and not _within(child, budget - 1):
            return False
    return True


def ndjson_for_sure(data: bytes) -> bool:
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


def _gunzip(data: bytes, limit: int) -> bytes:
    """Inflate every gzip member of ``data``, refusing to produce more than ``limit`` bytes."""
    return b"".join(inflate([data], limit))


def inflate(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The inflated bytes of a gzip stream read in ``chunks`` (every member; NUL padding between members
    skipped), never more than ``limit`` bytes in all (else ``SizeLimitError``); ``SourceError`` for a
    truncated or invalid stream."""
    produced = 0
    inflater = zlib.decompressobj(wbits=31)
    started = False  # has the current member received a byte?
    first = True  # NUL padding is skipped between members only
    try:
        for chunk in chunks:
            pending = chunk
            while pending:
                if not started:
                    pending = pending if first else pending.lstrip(b"\x00")
                    if not pending:
                        break
                    started, first = True, False
                out = inflater.decompress(pending, _CHUNK)
                while True:
                    produced += len(out)
                    if produced > limit:
                        raise SizeLimitError(f"decompressed body exceeds the limit of {limit} bytes", "gzip")
                    if out:
                        yield out
                    if inflater.eof or (not inflater.unconsumed_tail and not out):
                        break
                    out = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                pending = b""
                if inflater.eof:
                    pending = inflater.unused_data
                    inflater = zlib.decompressobj(wbits=31)
                    started = False
        if started:
            raise SourceError("truncated gzip stream", "gzip")
    except zlib.error as error:
        raise SourceError(f"invalid gzip data: {error}", "gzip") from None
