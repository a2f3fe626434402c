"""Reading the files (or standard input) that ``map`` and ``ingest`` take."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from threatlake.errors import SourceError

__all__ = ["SUFFIXES", "count_inputs", "read_inputs"]

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
    for name in names or ["-"]:
        if name == "-":
            yield "<stdin>", sys.stdin.buffer.read()
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix in SUFFIXES:
                    yield str(child), child.read_bytes()
            continue
        try:
            yield name, path.read_bytes()
        except OSError as error:
            raise SourceError(f"cannot read: {error.strerror}", name) from None
