"""Every fixture maps with no rejection to exactly its reviewed golden events."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests import golden

FILES = golden.inputs()


@pytest.mark.parametrize(
    "path", FILES, ids=[str(golden.golden_path(p).relative_to(golden.GOLDEN)) for p in FILES]
)
def test_fixture_matches_golden(path: Path) -> None:
    batch = golden.map_file(path)
    assert [str(r) for r in batch.rejections] == []
    expected = golden.golden_path(path)
    assert expected.exists(), f"no golden file for {path}: run `make golden` and review the diff"
    assert golden.render(batch).decode() == expected.read_text()


def test_raw_data_is_the_original_finding() -> None:
    path = golden.SAMPLES / "securityhub" / "asr-eventbridge-custom-action-fsbp-iam.6-two-findings.json"
    envelope = orjson.loads(path.read_bytes())
    batch = golden.map_file(path)
    originals = envelope["detail"]["findings"]
    assert len(originals) == 2
    raws = {event["finding.id"]: orjson.loads(event["dt.raw_data"]) for event in batch.events}
    assert raws == {finding["Id"]: finding for finding in originals}


def test_every_golden_file_has_a_fixture() -> None:
    expected = {golden.golden_path(p) for p in FILES}
    stale = [p for p in golden.GOLDEN.rglob("*.json") if p not in expected]
    assert stale == []
