from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threatlake.model import event_id
from threatlake.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "data")
    try:
        yield opened
    finally:
        opened.close()


def make_event(
    finding: str = "f-1", when: str = "2025-08-22T01:40:10.006000000Z", fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A small mapped event, with its deterministic id."""
    event: dict[str, Any] = {
        "timestamp": when,
        "event.kind": "SECURITY_EVENT",
        "event.provider": "Amazon GuardDuty",
        "finding.id": finding,
        "dt.system.bucket": "default_securityevents",
        **(fields or {}),
    }
    event["event.id"] = event_id(event)
    return event
