"""The whole shared sample corpus (including files whose licence keeps them out of this repo) maps cleanly."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from threatlake.pipeline.mapping import IngestContext, map_bytes

SHARED = Path(__file__).resolve().parents[3] / "shared" / "samples"
FILES = sorted(p for p in SHARED.rglob("*") if p.suffix in (".json", ".ndjson")) if SHARED.is_dir() else []
CONTEXT = IngestContext(received_at=datetime(2027, 1, 1, tzinfo=UTC))

pytestmark = pytest.mark.skipif(not FILES, reason="../shared/samples is not beside this checkout")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_sample_maps_without_rejection(path: Path) -> None:
    batch = map_bytes(path.read_bytes(), CONTEXT, path.name)
    assert [str(r) for r in batch.rejections] == []
    assert batch.events, "every sample holds at least one finding"
    for event in batch.events:
        assert event["event.provider"] in ("Amazon GuardDuty", "AWS Security Hub")
        assert event["dt.security.risk.level"] in (
            "CRITICAL",
            "HIGH",
            "MEDIUM",
            "LOW",
            "NONE",
            "NOT_AVAILABLE",
        )
        assert "" not in event.values()


def test_corpus_routing() -> None:
    kinds: Counter[tuple[str, str]] = Counter()
    for path in FILES:
        for event in map_bytes(path.read_bytes(), CONTEXT, path.name).events:
            kinds[(event["event.provider"], event.get("event.type", "-"))] += 1
    assert kinds[("Amazon GuardDuty", "DETECTION_FINDING")] >= 30
    assert kinds[("AWS Security Hub", "COMPLIANCE_FINDING")] >= 10
    assert kinds[("AWS Security Hub", "VULNERABILITY_FINDING")] >= 21
    assert kinds[("AWS Security Hub", "DETECTION_FINDING")] >= 5
