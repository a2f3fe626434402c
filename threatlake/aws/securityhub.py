"""Security Hub findings from the API: GetFindings (ASFF) and GetFindingsV2 (OCSF), both paginated.

A finding updated while the pages are read can move to a later page and come back twice: each reader drops
a repeat of the same finding version (its id and update time) within one run. The store is idempotent anyway;
this only saves mapping and writing the same finding again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from threatlake.aws.client import Say, UnavailableApiError, as_document, calling, silent
from threatlake.model import parse_timestamp

__all__ = ["MAX_PAGE", "asff_pages", "ocsf_pages"]

#: GetFindings and GetFindingsV2 return at most 100 findings per page.
MAX_PAGE = 100

_Key = Callable[[dict[str, Any]], tuple[str, str]]
_Updated = Callable[[dict[str, Any]], object]


def asff_pages(
    client: Any,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = MAX_PAGE,
    say: Say = silent,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the ASFF findings of the client's region (GetFindings), one page at a time.

    ``since`` keeps findings updated at or after it: an ``UpdatedAt`` filter up to ``until`` (default now),
    checked again here, so an endpoint that ignores filters cannot widen the result.
    """
    request: dict[str, Any] = {}
    if since:
        request["Filters"] = {"UpdatedAt": [_date_range(since, until)]}
    yield from _pages(
        client,
        "GetFindings",
        client.get_findings,
        request,
        page_size=page_size,
        since=since,
        say=say,
        key=_asff_key,
        updated=_asff_updated,
    )


def ocsf_pages(
    client: Any,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = MAX_PAGE,
    say: Say = silent,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the OCSF findings of the client's region (GetFindingsV2), one page at a time.

    Raises ``UnavailableApiError`` where the endpoint does not offer GetFindingsV2.
    """
    request: dict[str, Any] = {}
    if since:
        date_filter = {"FieldName": "finding_info.modified_time_dt", "Filter": _date_range(since, until)}
        request["Filters"] = {"CompositeFilters": [{"DateFilters": [date_filter]}]}
    operation = getattr(client, "get_findings_v2", None)
    if operation is None:  # a botocore too old to know the API
        region = str(client.meta.region_name)
        raise UnavailableApiError("this botocore does not know it", api="GetFindingsV2", region=region)
    yield from _pages(
        client,
        "GetFindingsV2",
        operation,
        request,
        page_size=page_size,
        since=since,
        say=say,
        key=_ocsf_key,
        updated=_ocsf_updated,
    )


def _pages(
    client: Any,
    api: str,
    operation: Callable[..., Any],
    request: dict[str, Any],
    *,
    page_size: int,
    since: datetime | None,
    say: Say,
    key: _Key,
    updated: _Updated,
) -> Iterator[list[dict[str, Any]]]:
    region = str(client.meta.region_name)
    say(f"Reading Security Hub findings ({api}) in {region}")
    size = max(1, min(page_size, MAX_PAGE))
    seen: set[tuple[str, str]] = set()
    token: str | None = None
    while True:
        call = {**request, "MaxResults": size, **({"NextToken": token} if token else {})}
        with calling(api, region):
            response = operation(**call)
        page = []
        for finding in response.get("Findings") or []:
            document = as_document(finding)
            identity = key(document)
            if identity in seen or not _updated_since(updated(document), since):
                continue
            seen.add(identity)
            page.append(document)
        if page:
            yield page
        token = response.get("NextToken") or None
        if not token:
            return


def _date_range(since: datetime, until: datetime | None) -> dict[str, str]:
    return {"Start": as_document(since), "End": as_document(until or datetime.now(UTC))}


def _asff_key(finding: dict[str, Any]) -> tuple[str, str]:
    return f"{finding.get('ProductArn')}\x1f{finding.get('Id')}", str(finding.get("UpdatedAt"))


def _asff_updated(finding: dict[str, Any]) -> object:
    return finding.get("UpdatedAt")


def _info(finding: dict[str, Any]) -> dict[str, Any]:
    info = finding.get("finding_info")
    return info if isinstance(info, dict) else {}


def _ocsf_key(finding: dict[str, Any]) -> tuple[str, str]:
    info = _info(finding)
    return str(info.get("uid")), str(_ocsf_updated(finding))


def _ocsf_updated(finding: dict[str, Any]) -> object:
    info = _info(finding)
    return info.get("modified_time") or info.get("modified_time_dt") or finding.get("time")


def _updated_since(updated: object, since: datetime | None) -> bool:
    if since is None:
        return True
    moment = parse_timestamp(updated)
    return moment is None or moment >= since
