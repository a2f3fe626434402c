"""GuardDuty findings from the API: ListDetectors → ListFindings (paginated) → GetFindings (50 at a time).

A page is the findings of one ListFindings page, as JSON documents: boto3 returns them PascalCase with
datetimes, which ``as_document`` turns into ISO strings (the GuardDuty source reads PascalCase as it is).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from threatlake.aws.client import Say, as_document, calling, silent
from threatlake.model import parse_timestamp

__all__ = ["MAX_PAGE", "finding_pages"]

#: ListFindings returns at most 50 ids per page, and GetFindings takes at most 50.
MAX_PAGE = 50


def finding_pages(
    client: Any,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = MAX_PAGE,
    say: Say = silent,
) -> Iterator[list[dict[str, Any]]]:
    """Yield every finding of every detector in the client's region, one page at a time (``say`` hears each
    step before its first call).

    ``since`` keeps findings updated at or after it (and ``until``, when given, at or before it): sent as a
    ``FindingCriteria`` on ``updatedAt`` (epoch milliseconds); ``since`` is checked again here, so an endpoint
    that ignores the criteria cannot widen the result.
    """
    region = str(client.meta.region_name)
    size = max(1, min(page_size, MAX_PAGE))
    condition = {"GreaterThanOrEqual": _epoch_ms(since)} if since else {}
    if since and until:
        condition["LessThanOrEqual"] = _epoch_ms(until)
    criteria = {"Criterion": {"updatedAt": condition}} if condition else None
    say(f"Reading GuardDuty detectors in {region}")
    for detector in _detectors(client, region):
        say(f"Reading GuardDuty findings of detector {detector} in {region}")
        token: str | None = None
        while True:
            request: dict[str, Any] = {"DetectorId": detector, "MaxResults": size}
            if criteria:
                request["FindingCriteria"] = criteria
            if token:
                request["NextToken"] = token
            with calling("ListFindings", region):
                listed = client.list_findings(**request)
            ids = list(listed.get("FindingIds") or [])
            if ids:
                findings = _get_findings(client, region, detector, ids)
                yield [finding for finding in findings if _updated_since(finding, since)]
            token = listed.get("NextToken") or None
            if not token:
                break


def _detectors(client: Any, region: str) -> list[str]:
    detectors: list[str] = []
    token: str | None = None
    while True:
        with calling("ListDetectors", region):
            page = client.list_detectors(**({"NextToken": token} if token else {}))
        detectors.extend(page.get("DetectorIds") or [])
        token = page.get("NextToken") or None
        if not token:
            return detectors


def _get_findings(client: Any, region: str, detector: str, ids: list[str]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    for start in range(0, len(ids), MAX_PAGE):
        with calling("GetFindings", region):
            response = client.get_findings(DetectorId=detector, FindingIds=ids[start : start + MAX_PAGE])
        findings.extend(as_document(finding) for finding in response.get("Findings") or [])
    return findings


def _epoch_ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def _updated_since(finding: dict[str, Any], since: datetime | None) -> bool:
    if since is None:
        return True
    updated = parse_timestamp(finding.get("UpdatedAt"))
    return updated is None or updated >= since
