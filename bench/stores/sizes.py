"""What ``disk()`` of a benchmark store answers: its bytes on disk, and per column where the engine tells."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ColumnBytes", "Disk"]


@dataclass(frozen=True)
class ColumnBytes:
    name: str
    compressed: int
    uncompressed: int
    codec: str


@dataclass(frozen=True)
class Disk:
    """A store's size: bytes on disk, events held, what the bytes include, the columns largest first."""

    bytes: int
    events: int
    note: str
    columns: list[ColumnBytes] = field(default_factory=list)

    @property
    def compressed(self) -> int:
        return sum(column.compressed for column in self.columns)

    @property
    def uncompressed(self) -> int:
        return sum(column.uncompressed for column in self.columns)
