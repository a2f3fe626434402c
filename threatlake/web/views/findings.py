"""Threats & Exploits lists: ``/threats``, ``/vulnerabilities``, ``/compliance`` (and ``.csv``, ``.json``).

One mechanic for the three kinds (a table entry each, ``KINDS``): the newest version of each finding in the
timeframe, of the kind, narrowed by facet values (``provider=``, ``not_provider=`` ...), a text search
(``q=``), grouped (``group=``), sorted (``sort=-risk``), paginated (``page=``, ``size=``) — every bit of
state in the URL. The facets' counts come from one query (``facets_query``: the findings counted per
combination of facet values, summed per facet here; with the list's count), plus one per facet with a
chosen value (the other facets' filters applied, not its own).
The triage status is Threatlake's own, joined in by finding id from ``fetch security.triage`` (the store's
mirror of the triage state), so it filters and counts like any field; bulk changes go through
``threatlake.service.triage``.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threatlake.errors import RequestError
from threatlake.service import triage as triaging
from threatlake.state.triage import MAX_BULK, STATUSES
from threatlake.web.services import services
from threatlake.web.views import platform
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import WRITE, form, page, viewer
from threatlake.web.views.render import render, url_for

__all__ = [
    "COMMON_FACETS",
    "KINDS",
    "NAV",
    "ROUTES",
    "TRIAGE_LOOKUP",
    "Facet",
    "Kind",
    "dql_string",
    "list_query",
]

MAX_PAGE_SIZE, EXPORT_PAGE_SIZE, DEFAULT_PAGE_SIZE = 200, 1000, 50
MAX_OFFSET = 10_000
FACET_VALUES = 12
_FACET_GROUPS = 10_000  # distinct values a facet or grouping reads before keeping the largest
_COMBINATIONS = 10_000  # combinations of facet values counted at once (more: counted per value instead)


def dql_string(value: str) -> str:
    """A DQL string literal for ``value`` (JSON escapes are DQL's)."""
    return orjson.dumps(value).decode()


@dataclass(frozen=True, slots=True)
class Facet:
    key: str  # the URL parameter (``provider``; ``not_provider`` excludes)
    label: str
    field: str  # the field of the list's records (an event field, or the joined ``triage.status``)


STATUS = Facet("status", "Status", "triage.status")
COMMON_FACETS = (
    Facet("provider", "Provider", "event.provider"),
    Facet("risk", "Risk level", "dt.security.risk.level"),
    STATUS,
    Facet("account", "Account", "aws.account.id"),
    Facet("region", "Region", "aws.region"),
    Facet("type", "Finding type", "finding.type"),
    Facet("object_type", "Object type", "object.type"),
)
#: Filters that are not shown as facets (links from groups and finding pages).
HIDDEN_FILTERS = (Facet("object", "Object", "object.id"),)
#: sort key -> field
SORTS = {
    "time": "timestamp",
    "risk": "dt.security.risk.score",
    "title": "finding.title",
    "provider": "event.provider",
    "object": "object.name",
}
#: group key -> (label, field)
GROUPS = {
    "object": ("Object", "object.id"),
    "type": ("Finding type", "finding.type"),
    "account": ("Account", "aws.account.id"),
}
COLUMNS = (
    "timestamp",
    "dt.security.risk.level",
    "finding.title",
    "event.provider",
    "object.name",
    "aws.account.id",
    "aws.region",
)

COLUMN_LABELS = {
    "timestamp": "Time",
    "dt.security.risk.level": "Risk",
    "finding.title": "Title",
    "event.provider": "Provider",
    "object.name": "Object",
    "aws.account.id": "Account",
    "aws.region": "Region",
    "vulnerability.id": "CVE",
    "component.name": "Package",
    "vulnerability.fix_available": "Fix",
    "compliance.control": "Control",
    "compliance.status": "Compliance",
}


@dataclass(frozen=True, slots=True)
class Kind:
    path: str
    title: str
    event_type: str
    facets: tuple[Facet, ...]
    columns: tuple[str, ...]

    def facet(self, key: str) -> Facet | None:
        return next((facet for facet in (*self.facets, *HIDDEN_FILTERS) if facet.key == key), None)

    def fields(self) -> list[str]:
        """Every event field the list, its facets, sorts and groups read."""
        facets = [facet.field for facet in (*self.facets, *HIDDEN_FILTERS) if facet.field != STATUS.field]
        groups = [field for _, field in GROUPS.values()]
        named = ["finding.id", "timestamp", "event.type", *self.columns, *facets, *SORTS.values(), *groups]
        return list(dict.fromkeys([*named, "dt.security.risk.score", "object.name"]))


KINDS: dict[str, Kind] = {
    "threats": Kind("/threats", "Threats & Exploits", "DETECTION_FINDING", COMMON_FACETS, COLUMNS),
    "vulnerabilities": Kind(
        "/vulnerabilities",
        "Vulnerabilities",
        "VULNERABILITY_FINDING",
        (
            *COMMON_FACETS,
            Facet("cve", "CVE", "vulnerability.id"),
            Facet("package", "Package", "component.name"),
            Facet("fix", "Fix available", "vulnerability.fix_available"),
            Facet("exploit", "Exploit available", "vulnerability.exploit_available"),
        ),
        (*COLUMNS[:3], "vulnerability.id", "component.name", "vulnerability.fix_available", "object.name"),
    ),
    "compliance": Kind(
        "/compliance",
        "Compliance",
        "COMPLIANCE_FINDING",
        (
            *COMMON_FACETS,
            Facet("control", "Control", "compliance.control"),
            Facet("compliance_status", "Compliance status", "compliance.status"),
        ),
        (*COLUMNS[:3], "compliance.control", "compliance.status", "object.name", "aws.account.id"),
    ),
}
NAV = tuple(
    NavLink("Threats & Exploits", kind.title if key != "threats" else "Threats", kind.path)
    for key, kind in KINDS.items()
)


@dataclass(frozen=True, slots=True)
class ListState:
    """The list state a URL says."""

    includes: dict[str, list[str]]
    excludes: dict[str, list[str]]
    text: str
    group: str
    sort: str
    descending: bool
    page: int
    size: int


def _whole(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise RequestError(f"'{name}' must be a whole number from {low} to {high}", {"field": name})
    return int(value)


def list_state(request: Request, kind: Kind, *, max_size: int = MAX_PAGE_SIZE) -> ListState:
    params = request.query_params
    includes: dict[str, list[str]] = {}
    excludes: dict[str, list[str]] = {}
    for key in {*params.keys()}:
        name, target = (key[4:], excludes) if key.startswith("not_") else (key, includes)
        if kind.facet(name) is not None:
            target[name] = [value for value in params.getlist(key) if value][:50]
    sort = params.get("sort") or "-time"
    if sort.lstrip("-") not in SORTS:
        raise RequestError(
            f"'sort' must be one of {', '.join(SORTS)} (a leading '-' sorts descending)", {"field": "sort"}
        )
    group = params.get("group") or ""
    if group and group not in GROUPS:
        raise RequestError(f"'group' must be one of {', '.join(GROUPS)}", {"field": "group"})
    size = _whole(params.get("size"), "size", DEFAULT_PAGE_SIZE, 1, max_size)
    page_number = _whole(params.get("page"), "page", 1, 1, MAX_OFFSET // size + 1)
    text = (params.get("q") or "").strip()[:200]
    return ListState(
        includes, excludes, text, group, sort.lstrip("-"), sort.startswith("-"), page_number, size
    )


#: The triage status of each finding, from the store's mirror of the triage state (``fetch security.triage``).
TRIAGE_LOOKUP = (
    "| lookup [fetch security.triage], sourceField:finding.id, lookupField:finding.id,"
    ' fields:{triage.status, triage.assignee}, prefix:""\n'
    '| fieldsAdd triage.status = coalesce(triage.status, "NEW")'
)


def list_query(kind: Kind, state: ListState, *, skip: str = "", reads: Sequence[str] | None = None) -> str:
    """The DQL of the list: newest version per finding, the status joined, the filters (but ``skip``'s).

    ``reads``: the event fields the query goes on to use (None: every field the list may read), so the
    ranking carries only those and the filters' (each carried field costs the ranking time at 1M)."""
    lines = ["fetch security.events"]
    if not state.text:  # the fields a list reads, so the ranking below carries no raw finding
        carried = kind.fields() if reads is None else _carried(kind, state, reads)
        lines.append(f"| fields {', '.join(carried)}")
    lines += [
        # the newest version of each finding first, then its kind: the store keeps the newest version per
        # finding, so this reads it without ranking (docs/performance.md); a finding whose kind changed
        # between versions is listed under its newest kind only
        "| dedup {finding.id}, sort:{timestamp desc}",
        f"| filter event.type == {dql_string(kind.event_type)}",
        TRIAGE_LOOKUP,
    ]
    if state.text:  # every field, as ``search`` looks in all of them
        lines.append(f"| search {dql_string(state.text)}")
    for command, chosen in (("filter", state.includes), ("filterOut", state.excludes)):
        for key, values in sorted(chosen.items()):
            facet = kind.facet(key)
            if facet is None or not values or (key == skip and command == "filter"):
                continue
            field = facet.field
            lines.append(f"| {command} in({field}, {{{', '.join(dql_string(value) for value in values)}}})")
    return "\n".join(lines)


def _carried(kind: Kind, state: ListState, reads: Sequence[str]) -> list[str]:
    """What the ranking must carry: the key, the time, the kind, ``reads`` and the fields filtered on."""
    filtered = [
        facet.field for key in (*state.includes, *state.excludes) if (facet := kind.facet(key)) is not None
    ]
    named = ["finding.id", "timestamp", "event.type", *reads, *filtered]
    return [field for field in dict.fromkeys(named) if field != STATUS.field]


def facets_query(kind: Kind, state: ListState, facets: Sequence[Facet], *, skip: str = "") -> str:
    """One query counting the findings of the list (``skip``'s own filter left out) per combination of the
    values of ``facets``: each facet's counts are then sums over the combinations (``_facet_counts``).
    Grouping the findings once by every facet field costs a fraction of making one ``<facet>:<value>`` text
    per finding and facet and grouping those (measured in docs/performance.md)."""
    keys = ", ".join(f"f{kind.facets.index(facet)} = {facet.field}" for facet in facets)
    by = f", by:{{{keys}}}" if keys else ""
    reads = [facet.field for facet in facets]
    return list_query(kind, state, skip=skip, reads=reads) + f"\n| summarize n = count(){by}"


def _expanded_query(kind: Kind, state: ListState, facets: Sequence[Facet], *, skip: str = "") -> str:
    """The counts of ``facets`` as ``<index>:<value>`` groups (and ``""``, the findings): for a list with
    more combinations of facet values than a result holds (``facets_query`` then comes back truncated)."""
    items = ['""'] + [f'concat("{kind.facets.index(facet)}:", {facet.field})' for facet in facets]
    return (
        list_query(kind, state, skip=skip, reads=[facet.field for facet in facets])
        + f"\n| fields facet = array({', '.join(items)})"
        + "\n| expand facet\n| summarize n = count(), by:{facet}"
    )


def _tally(records: list[dict[str, Any]], positions: Sequence[int]) -> tuple[dict[int, Counter[str]], int]:
    """Per facet position, the findings per value, and the findings in all, from ``facets_query``'s
    combinations."""
    counts: dict[int, Counter[str]] = {position: Counter() for position in positions}
    total = 0
    for record in records:
        n = int(record.get("n") or 0)
        total += n
        for position in positions:
            value = record.get(f"f{position}")
            if value is not None and value != "":
                counts[position][str(value)] += n
    return counts, total


def _untally(records: list[dict[str, Any]]) -> tuple[dict[int, Counter[str]], int]:
    """The same from ``_expanded_query``'s ``<index>:<value>`` groups."""
    counts: dict[int, Counter[str]] = {}
    total = 0
    for record in records:
        key, n = str(record.get("facet") or ""), int(record.get("n") or 0)
        position, _, value = key.partition(":")
        if not key:
            total = n
        elif value and position.isdigit():
            counts.setdefault(int(position), Counter())[value] += n
    return counts, total


async def _counted(
    request: Request, kind: Kind, state: ListState, facets: Sequence[Facet], skip: str = ""
) -> tuple[dict[int, Counter[str]], int]:
    timeframe = request.state.timeframe
    text = facets_query(kind, state, facets, skip=skip)
    result = await platform.run_query(request, text, timeframe, max_records=_COMBINATIONS)
    if len(result.records) < _COMBINATIONS:
        return _tally(result.records, [kind.facets.index(facet) for facet in facets])
    text = _expanded_query(kind, state, facets, skip=skip)  # too many combinations for one result
    return _untally((await platform.run_query(request, text, timeframe, max_records=_FACET_GROUPS)).records)


async def _facet_counts(request: Request, kind: Kind, state: ListState) -> tuple[list[dict[str, Any]], int]:
    """Every facet's counts and the number of findings: one query for the facets without a chosen value
    (they share the list's filters), one more for each facet with one (its counts leave its filter out)."""
    shared = [facet for facet in kind.facets if not state.includes.get(facet.key)]
    own = [facet for facet in kind.facets if state.includes.get(facet.key)]
    results = await asyncio.gather(
        _counted(request, kind, state, shared),
        *(_counted(request, kind, state, [facet], facet.key) for facet in own),
    )
    found: dict[int, Counter[str]] = {}
    for counts, _ in results:
        found.update(counts)
    total = results[0][1]
    facets = []
    for number, facet in enumerate(kind.facets):
        pairs = sorted(found.get(number, Counter()).items(), key=lambda pair: (-pair[1], pair[0]))
        facets.append(
            {
                "facet": facet,
                "counts": [{"value": value, "count": count} for value, count in pairs[:FACET_VALUES]],
                "chosen": state.includes.get(facet.key, []),
                "excluded": state.excludes.get(facet.key, []),
            }
        )
    return facets, total


async def _rows(request: Request, kind: Kind, state: ListState) -> tuple[list[dict[str, Any]], int, str]:
    """The page's rows (or groups), how many groups there are (0 ungrouped: the facets count findings),
    and the DQL."""
    timeframe = request.state.timeframe
    order = "desc" if state.descending else "asc"
    if state.group:
        _, field = GROUPS[state.group]
        text = (
            list_query(kind, state, reads=[field, "dt.security.risk.score", "object.name"])
            + "\n| summarize findings = count(), risk = max(dt.security.risk.score),"
            + f" latest = max(timestamp), name = takeAny(object.name), by:{{key = {field}}}"
        )
        result = await platform.run_query(request, text, timeframe, max_records=_FACET_GROUPS)
        groups = sorted(result.records, key=lambda row: (-int(row.get("findings") or 0), str(row.get("key"))))
        return groups[:MAX_PAGE_SIZE], len(groups), text
    end = state.page * state.size
    shown = ", ".join(dict.fromkeys(["finding.id", *kind.columns, "triage.status", SORTS[state.sort]]))
    # only the shown fields are sorted and read: a row of every field would carry each raw finding
    base = list_query(kind, state, reads=[*kind.columns, SORTS[state.sort]])
    text = f"{base}\n| fields {shown}\n| sort {SORTS[state.sort]} {order}, finding.id asc\n| limit {end}"
    rows = await platform.run_query(request, text, timeframe, max_records=end)
    return rows.records[end - state.size :], 0, text


async def show(request: Request) -> Response:
    kind = KINDS[request.url.path.strip("/").split(".")[0]]
    suffix = request.url.path.rpartition(".")[2] if "." in request.url.path else ""
    state = list_state(request, kind, max_size=EXPORT_PAGE_SIZE if suffix else MAX_PAGE_SIZE)
    if suffix:
        rows, _, _ = await _rows(request, kind, state)
        return _export(kind, rows, suffix, state)
    (rows, groups, text), (facets, findings) = await asyncio.gather(
        _rows(request, kind, state), _facet_counts(request, kind, state)
    )
    total = groups if state.group else findings
    context = {
        "kind": kind,
        "state": state,
        "rows": rows,
        "total": total,
        "pages": max(1, min((total + state.size - 1) // state.size, MAX_OFFSET // state.size + 1)),
        "facets": facets,
        "query": text,
        "sorts": SORTS,
        "groups": GROUPS,
        "all_statuses": STATUSES,
        "can_write": viewer(request).can(WRITE),
        "alternates": {fmt: url_for(request, f"{kind.path}.{fmt}") for fmt in ("csv", "json")},
        "bulk": request.query_params.get("bulk", ""),
        "labels": COLUMN_LABELS,
    }
    return render(request, "findings.html", context)


def _export(kind: Kind, rows: list[dict[str, Any]], suffix: str, state: ListState) -> Response:
    grouped = ["key", "findings", "risk", "latest", "name"]
    columns = ["finding.id", *kind.columns, "triage.status"] if not state.group else grouped
    headers = {"Content-Disposition": f'attachment; filename="{kind.path.strip("/")}.{suffix}"'}
    if suffix == "json":
        body = orjson.dumps({"records": [{name: row.get(name) for name in columns} for row in rows]})
        return Response(body, headers=headers, media_type="application/json")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in columns])
    return Response(out.getvalue(), headers=headers, media_type="text/csv; charset=utf-8")


async def bulk(request: Request) -> Response:
    """Set the status of every finding the list's query matches, once the count the viewer saw is the
    count that matches now (else the confirmation is asked again)."""
    kind = KINDS[request.url.path.strip("/").split("/")[0]]
    state = list_state(request, kind)
    data = form(request)
    status = str(data.get("status") or "")
    if status not in STATUSES:
        raise RequestError(f"'status' must be one of {', '.join(STATUSES)}", {"field": "status"})
    text = list_query(kind, state, reads=[]) + f"\n| fields finding.id\n| limit {MAX_BULK + 1}"
    result = await platform.run_query(request, text, request.state.timeframe, max_records=MAX_BULK + 1)
    ids = [str(record["finding.id"]) for record in result.records if record.get("finding.id")]
    if len(ids) > MAX_BULK:
        raise RequestError(f"More than {MAX_BULK:,} findings match: narrow the list first")
    expected = str(data.get("expected") or "")
    if expected != str(len(ids)):
        raise RequestError(
            f"The list changed: {len(ids):,} findings match now, not {expected}. Review it and confirm again."
        )
    done = await run_in_threadpool(
        lambda: triaging.bulk_set(
            platform.state(request),
            services(request).store,
            ids,
            status=status,
            who=viewer(request).name,
            now=datetime.now(UTC),
            comment=str(data.get("comment") or ""),
        )
    )
    note = f"{done.matched} matched, {done.changed} changed to {status}, {done.failed} failed"
    return RedirectResponse(url_for(request, kind.path, bulk=note), status_code=303)


ROUTES = [
    route
    for key, kind in KINDS.items()
    for route in (
        page(kind.path, show),
        page(kind.path + ".csv", show),
        page(kind.path + ".json", show),
        page(kind.path + "/bulk", bulk, methods=["POST"], scope=WRITE),
    )
]
