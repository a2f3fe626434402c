from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.aws.environment import asff_findings, import_findings
from threatlake.aws import UnavailableApiError, securityhub
from threatlake.pipeline.mapping import IngestContext, map_documents
from threatlake.sources import Finding
from threatlake.sources.envelope import unwrap

OCSF = Path(__file__).resolve().parents[1] / "fixtures" / "findings" / "securityhub"
CTX = IngestContext(received_at=datetime(2026, 1, 2, tzinfo=UTC), source="test")

Hub = Callable[..., Any]


def _events(documents: list[dict[str, Any]]) -> list[str]:
    batch = map_documents(documents, CTX)
    assert batch.rejections == []
    return sorted(
        orjson.dumps({k: v for k, v in e.items() if k != "dt.raw_data"}).decode() for e in batch.events
    )


def _flat(pages: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [finding for page in pages for finding in page]


def test_findings_read_back_through_moto_map_like_the_imported_ones(hub: Hub) -> None:
    findings = asff_findings()
    import_findings(hub(), findings)
    pages = list(securityhub.asff_pages(hub(), page_size=7))
    assert len(pages) == -(-len(findings) // 7)  # more findings than a page: every page is read
    assert len(_flat(pages)) == len(findings)
    assert _events(_flat(pages)) == _events(findings)


def test_each_region_has_its_own_findings(hub: Hub) -> None:
    findings = asff_findings()
    import_findings(hub("eu-west-1"), findings[:5])
    assert len(_flat(list(securityhub.asff_pages(hub("eu-west-1"))))) == 5
    assert list(securityhub.asff_pages(hub("us-east-1"))) == []


def test_since_keeps_findings_updated_since(hub: Hub) -> None:
    findings = asff_findings()
    import_findings(hub(), findings)
    since = datetime(2021, 1, 1, tzinfo=UTC)
    newer = [f for f in findings if f["UpdatedAt"] >= "2021-01-01"]
    assert 0 < len(newer) < len(findings)
    # moto ignores the UpdatedAt filter: the reader's own check keeps the result right.
    read = _flat(list(securityhub.asff_pages(hub(), since=since)))
    assert sorted(f["Id"] for f in read) == sorted(f["Id"] for f in newer)


def test_getfindingsv2_missing_in_moto_is_unavailable(hub: Hub) -> None:
    with pytest.raises(UnavailableApiError) as caught:
        list(securityhub.ocsf_pages(hub()))
    assert str(caught.value) == "GetFindingsV2 in us-east-1: 404: 404 Not Found"


class _PagedClient:
    """Answers GetFindings/GetFindingsV2 with fixed pages (as boto3 would) and records the requests."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self.meta = type("Meta", (), {"region_name": "us-east-1"})()
        self.pages = pages
        self.requests: list[dict[str, Any]] = []

    def get_findings(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        index = int(request.get("NextToken") or 0)
        following = {"NextToken": str(index + 1)} if index + 1 < len(self.pages) else {}
        return {"Findings": self.pages[index], **following}

    get_findings_v2 = get_findings


def test_a_finding_repeated_on_a_later_page_is_read_once() -> None:
    findings = asff_findings()[:4]
    updated = copy.deepcopy(findings[1]) | {"UpdatedAt": "2030-01-01T00:00:00.000Z"}
    client = _PagedClient([findings[:2], [findings[1], findings[2]], [findings[3], updated]])
    read = _flat(list(securityhub.asff_pages(client, page_size=2)))
    assert [f["Id"] for f in read] == [f["Id"] for f in [*findings, updated]]
    assert [request.get("NextToken") for request in client.requests] == [None, "1", "2"]


def _ocsf() -> list[dict[str, Any]]:
    path = OCSF / "own-eventbridge-imported-v2-ocsf-vulnerability-and-compliance.json"
    return [item.raw for item in unwrap(orjson.loads(path.read_bytes())) if isinstance(item, Finding)]


def test_ocsf_pages_with_since_filter_and_repeats() -> None:
    findings = _ocsf()
    client = _PagedClient([findings, findings])
    since = datetime(2020, 1, 1, tzinfo=UTC)
    until = datetime(2026, 1, 1, tzinfo=UTC)
    read = _flat(list(securityhub.ocsf_pages(client, since=since, until=until)))
    assert read == findings
    assert client.requests[0]["Filters"] == {
        "CompositeFilters": [
            {
                "DateFilters": [
                    {
                        "FieldName": "finding_info.modified_time_dt",
                        "Filter": {"Start": "2020-01-01T00:00:00.000Z", "End": "2026-01-01T00:00:00.000Z"},
                    }
                ]
            }
        ]
    }
    assert _events(read) == _events(findings)


def test_asff_since_is_an_updatedat_filter() -> None:
    client = _PagedClient([[]])
    since, until = datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    assert list(securityhub.asff_pages(client, since=since, until=until)) == []
    assert client.requests == [
        {
            "Filters": {
                "UpdatedAt": [{"Start": "2025-05-01T00:00:00.000Z", "End": "2025-06-01T00:00:00.000Z"}]
            },
            "MaxResults": 100,
        }
    ]
