"""Printing rows as aligned columns (``token list``, ``connection list``, ``query --format table``)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["aligned"]


def aligned(header: Sequence[str], rows: Sequence[Sequence[str]], *, rule: bool = False) -> list[str]:
    """The header and rows as lines, each column padded to its widest cell and two spaces apart (``rule``
    adds a line of dashes under the header)."""
    widths = [max([len(name), *(len(row[index]) for row in rows)]) for index, name in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    dashes = [line(["-" * width for width in widths])] if rule else []
    return [line(header), *dashes, *(line(row) for row in rows)]
