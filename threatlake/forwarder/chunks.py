"""Events as requests: encoded once, gzipped together, and halved when a request must shrink.

A request is halved by its events; a request of one event that holds several findings (``detail.findings``
of a Security Hub event) is halved by its findings, into two events with the same envelope. Each finding keeps
its event id, so a finding sent again in a smaller request is a duplicate for the endpoint, never a new event.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_DECOMPRESSED", "Item", "encode", "gzip_body", "split"]

# The endpoint's decompressed limit (api.md: 64 MiB); chunks stay under it whatever their compressed size.
MAX_DECOMPRESSED = 64 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    """One event and its JSON encoding."""

    event: Mapping[str, Any]
    raw: bytes


def split(items: list[Item]) -> list[list[Item]] | None:
    """Two smaller chunks: the events halved, or one event's findings halved; None when it cannot shrink."""
    if len(items) > 1:
        middle = len(items) // 2
        return [items[:middle], items[middle:]]
    event = items[0].event
    detail = event.get("detail")
    findings = detail.get("findings") if isinstance(detail, dict) else None
    if not isinstance(findings, list) or len(findings) < 2:
        return None
    middle = len(findings) // 2
    parts = []
    for part in (findings[:middle], findings[middle:]):
        copied = copy.copy(dict(event))
        copied["detail"] = {**event["detail"], "findings": part}
        parts.append([Item(copied, encode(copied))])
    return parts


def gzip_body(items: Sequence[Item]) -> bytes:
    """The request body for ``items``: their JSON array, gzipped (no timestamp, so it is reproducible)."""
    return gzip.compress(b"[" + b",".join(item.raw for item in items) + b"]", compresslevel=6, mtime=0)


def encode(event: Mapping[str, Any]) -> bytes:
    """An event as compact UTF-8 JSON, exactly as it is sent."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
