"""Reading the files (or standard input) that ``map`` and ``ingest`` take."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from threatlake.errors import SourceError

__all__ = ["CHUNK_BYTES", "SUFFIXES", "count_inputs", "read_inputs", "stream_inputs"]

#: Bytes read at a time by ``stream_inputs``.
CHUNK_BYTES = 1024 * 1024
#: The files a directory contributes.
SUFFIXES = (".json", ".ndjson", ".jsonl", ".gz")


def count_inputs(names: list[str]) -> int:
    """How many inputs ``read_inputs(names)`` yields (a directory counts its files), without reading them."""
    return sum(
        sum(1 for child in Path(name).rglob("*") if child.is_file() and child.suffix in SUFFIXES)
        if name != "-" and Path(name).is_dir()
        else 1
        for name in names or ["-"]
    )


def read_inputs(names: list[str]) -> Iterator[tuple[str, bytes]]:
    """Yield (display name, bytes) for each named file; ``-`` (or no name) is standard input.

    A directory yields every ``.json``, ``.ndjson``, ``.jsonl`` and ``.gz`` file beneath it, in name order.
    """
    for name, chunks in stream_inputs(names):
        try:
            data = b"".join(chunks)
        except SourceError as error:
            raise error.at(name) from None
        yield name, data


def stream_inputs(names: list[str]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """``read_inputs``, each input as its chunks of ``CHUNK_BYTES`` as they are read (a large file is never
    held whole); each must be consumed before the next is asked for. A file that cannot be opened is a
    ``SourceError`` naming it; one that fails while it is read, a ``SourceError`` from its chunks."""
    for name in names or ["-"]:
        if name == "-":
            yield "<stdin>", _chunks(sys.stdin.buffer)
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix in SUFFIXES:
                    yield from _opened(child, str(child))
            continue
        yield from _opened(path, name)


def _opened(path: Path, name: str) -> Iterator[tuple[str, Iterator[bytes]]]:
    try:
        file = path.open("rb")
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror}", name) from None
    with file:
        yield name, _chunks(file)


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    while True:
        try:
            chunk = file.read(CHUNK_BYTES)
        except OSError as error:
            raise SourceError(f"cannot read: {error.strerror}") from None
        if not chunk:
            return
        yield chunk
