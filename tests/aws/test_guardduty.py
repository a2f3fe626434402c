from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.aws.fakes import FakeGuardDuty, RecordedGuardDuty, boto3_shaped
from tests.golden import SAMPLES
from threatlake.aws import AwsError, guardduty
from threatlake.model import Event
from threatlake.pipeline.mapping import IngestContext, map_documents
from threatlake.sources import Finding
from threatlake.sources.envelope import unwrap

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAMEL = sorted((FIXTURES / "findings" / "guardduty").glob("own-*.json"))
PASCAL = sorted((SAMPLES / "guardduty").glob("eventbridge-pascalcase-*.json"))
CTX = IngestContext(received_at=datetime(2026, 1, 2, tzinfo=UTC), source="test")


def _findings(path: Path) -> list[dict[str, Any]]:
    return [item.raw for item in unwrap(orjson.loads(path.read_bytes())) if isinstance(item, Finding)]


def _events(documents: list[Any]) -> list[Event]:
    batch = map_documents(documents, CTX)
    assert batch.rejections == []
    return sorted(({k: v for k, v in e.items() if k != "dt.raw_data"} for e in batch.events), key=str)


def _read(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [finding for page in guardduty.finding_pages(client, **kwargs) for finding in page]


def _copies(n: int) -> list[dict[str, Any]]:
    template = _findings(FIXTURES / "findings" / "guardduty" / "own-dns-request.json")[0]
    findings = []
    for index in range(n):
        finding = copy.deepcopy(template)
        finding["id"] = f"finding-{index:04d}"
        finding["updatedAt"] = f"2025-06-{1 + index % 28:02d}T00:00:00.000Z"
        findings.append(finding)
    return findings


@pytest.mark.parametrize("path", CAMEL, ids=lambda path: path.name)
def test_the_api_path_maps_like_the_camelcase_finding(path: Path, fake_guardduty: FakeGuardDuty) -> None:
    # The fake answers with the camelCase JSON of the wire; boto3 parses it into PascalCase and datetimes,
    # exactly what a real GetFindings returns. Both paths must give the same events.
    findings = _findings(path)
    fake_guardduty.add("us-east-1", findings)
    read = _read(fake_guardduty.client("us-east-1"))
    assert [finding["Id"] for finding in read] == [finding["id"] for finding in findings]
    assert _events(read) == _events(findings)


@pytest.mark.parametrize("path", PASCAL, ids=lambda path: path.name)
def test_boto3_shaped_findings_map_like_their_eventbridge_event(path: Path) -> None:
    event = orjson.loads(path.read_bytes())
    client = RecordedGuardDuty("us-east-1", [boto3_shaped(event["detail"])])
    read = _read(client)
    assert _events(read) == _events([event["detail"]])
    orjson.dumps(read)  # JSON through and through: no datetime left


def test_pages_follow_list_findings_and_get_at_most_50(fake_guardduty: FakeGuardDuty) -> None:
    fake_guardduty.add("eu-west-1", _copies(120))
    pages = list(guardduty.finding_pages(fake_guardduty.client("eu-west-1"), page_size=40))
    assert [len(page) for page in pages] == [40, 40, 40]
    assert [call.body.get("maxResults") for call in fake_guardduty.operations("ListFindings")] == [40] * 3
    assert all(len(call.body["findingIds"]) <= 50 for call in fake_guardduty.operations("GetFindings"))
    assert len({finding["Id"] for page in pages for finding in page}) == 120


def test_page_size_is_capped_at_the_api_limit(fake_guardduty: FakeGuardDuty) -> None:
    fake_guardduty.add("eu-west-1", _copies(120))
    pages = list(guardduty.finding_pages(fake_guardduty.client("eu-west-1"), page_size=500))
    assert [len(page) for page in pages] == [50, 50, 20]


def test_since_is_sent_as_finding_criteria_and_checked(fake_guardduty: FakeGuardDuty) -> None:
    fake_guardduty.add("us-east-1", _copies(56))
    since = datetime(2025, 6, 20, tzinfo=UTC)
    read = _read(fake_guardduty.client("us-east-1"), since=since)
    expected = int(since.timestamp() * 1000)
    criteria = fake_guardduty.operations("ListFindings")[0].body["findingCriteria"]
    assert criteria == {"criterion": {"updatedAt": {"greaterThanOrEqual": expected}}}
    assert read and all(finding["UpdatedAt"] >= "2025-06-20" for finding in read)
    assert len(read) == sum(1 for index in range(56) if 1 + index % 28 >= 20)


def test_since_is_checked_even_when_the_endpoint_ignores_it() -> None:
    findings = [boto3_shaped(orjson.loads(path.read_bytes())["detail"]) for path in PASCAL]
    since = datetime(2025, 10, 1, tzinfo=UTC)
    read = _read(RecordedGuardDuty("us-east-1", findings), since=since)
    assert 0 < len(read) < len(findings)
    assert all(finding["UpdatedAt"] >= "2025-10-01" for finding in read)


def test_every_detector_of_the_region_is_read() -> None:
    client = RecordedGuardDuty("us-east-1", [])
    assert _read(client) == []
    assert [name for name, _ in client.calls] == ["ListDetectors", "ListFindings"]


def test_throttling_is_retried(fake_guardduty: FakeGuardDuty) -> None:
    fake_guardduty.add("us-east-1", _copies(3))
    fake_guardduty.throttle["ListFindings"] = 1
    assert len(_read(fake_guardduty.client("us-east-1"))) == 3
    assert len(fake_guardduty.operations("ListFindings")) == 2


def test_access_denied_names_the_api_and_the_region(fake_guardduty: FakeGuardDuty) -> None:
    fake_guardduty.add("ap-southeast-2", _copies(3))
    fake_guardduty.fail["GetFindings"] = (
        403,
        "AccessDeniedException",
        "not authorized: guardduty:GetFindings",
    )
    with pytest.raises(AwsError) as caught:
        _read(fake_guardduty.client("ap-southeast-2"))
    assert str(caught.value) == (
        "GetFindings in ap-southeast-2: AccessDeniedException: not authorized: guardduty:GetFindings"
    )
