"""One finding, ``/threats/{finding id}``: every field, the raw finding, the affected object with every
finding about it from every provider, actor IPs, the versions over time, and triage (status, assignee,
comments, history). The permalink works whatever the timeframe: the finding is looked up over all time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threatlake.errors import NotFoundError, RequestError
from threatlake.service import triage as triaging
from threatlake.state.triage import STATUSES
from threatlake.web.services import services
from threatlake.web.views import platform
from threatlake.web.views.findings import dql_string
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import WRITE, form, page, viewer
from threatlake.web.views.render import render
from threatlake.web.views.timeframe import parse_timeframe

__all__ = ["NAV", "ROUTES"]

NAV: tuple[NavLink, ...] = ()
_VERSIONS = 200
_RELATED = 100
_ALL_TIME = {"from": "now()-36500d", "to": "now()"}


def _raw(record: dict[str, Any]) -> str:
    text = record.get("dt.raw_data")
    if not isinstance(text, str):
        return ""
    try:
        return orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONDecodeError:
        return text


async def show(request: Request) -> Response:
    finding_id = request.path_params["finding_id"]
    all_time = parse_timeframe(_ALL_TIME, datetime.now(UTC))
    versions = await platform.run_query(
        request,
        f"fetch security.events\n| filter finding.id == {dql_string(finding_id)}\n"
        f"| sort timestamp desc, dt.ingest.time desc\n| limit {_VERSIONS}",
        all_time,
        max_records=_VERSIONS,
    )
    if not versions.records:
        raise NotFoundError(f"No finding with id {finding_id[:200]!r} is stored", {"id": finding_id[:200]})
    latest = versions.records[0]
    object_ids = sorted({str(record["object.id"]) for record in versions.records if record.get("object.id")})
    related_query = (
        "fetch security.events\n"
        f"| filter in(object.id, {{{', '.join(dql_string(value) for value in object_ids[:20])}}})\n"
        "| dedup {finding.id}, sort:{timestamp desc}\n| sort dt.security.risk.score desc, timestamp desc\n"
        f"| fields timestamp, finding.id, finding.title, event.provider, event.type, dt.security.risk.level\n"
        f"| limit {_RELATED}"
    )
    triage = platform.state(request).triage
    related, (record, comments, history) = await asyncio.gather(
        platform.run_query(request, related_query, all_time, max_records=_RELATED)
        if object_ids
        else asyncio.sleep(0, platform.QueryResult([], [], [])),
        run_in_threadpool(
            lambda: (triage.get(finding_id), triage.comments(finding_id), triage.history(finding_id))
        ),
    )
    ips = sorted({ip for version in versions.records for ip in (version.get("actor.ips") or [])})
    fields = sorted((name, value) for name, value in latest.items() if name != "dt.raw_data")
    context = {
        "finding_id": finding_id,
        "latest": latest,
        "fields": fields,
        "raw": _raw(latest),
        "versions": versions.records,
        "object_ids": object_ids,
        "related": [row for row in related.records if row.get("finding.id") != finding_id],
        "ips": ips,
        "triage": record,
        "status": record.effective(datetime.now(UTC)),
        "comments": comments,
        "history": history,
        "statuses": STATUSES,
        "users": [user.name for user in platform.users(request)],
        "can_write": viewer(request).can(WRITE),
        "permalink": platform.public_base(request) + "/threats/" + quote(finding_id, safe=""),
    }
    return render(request, "finding.html", context)


async def change(request: Request) -> Response:
    """The finding's forms: ``action=triage`` (status, assignee, comment) or ``action=comment``."""
    finding_id = request.path_params["finding_id"]
    data = form(request)
    who, now = viewer(request).name, datetime.now(UTC)
    triage = platform.state(request).triage
    text = str(data.get("comment") or "").strip()
    if data.get("action") == "comment":
        if not text:
            raise RequestError("A comment needs some text", {"field": "comment"})
        await run_in_threadpool(lambda: triage.comment(finding_id, who=who, now=now, text=text))
    elif data.get("action") == "triage":
        status = str(data.get("status") or "")
        if status not in STATUSES:
            raise RequestError(f"'status' must be one of {', '.join(STATUSES)}", {"field": "status"})
        assignee = str(data.get("assignee") or "")
        store = services(request).store
        await run_in_threadpool(
            lambda: triaging.set_triage(
                platform.state(request),
                store,
                [finding_id],
                who=who,
                now=now,
                status=status,
                assignee=assignee,
                comment=text,
            )
        )
    else:
        raise RequestError("'action' must be triage or comment", {"field": "action"})
    return RedirectResponse(f"/threats/{quote(finding_id, safe='')}#triage", status_code=303)


ROUTES = [
    page("/threats/{finding_id:path}", show),
    page("/threats/{finding_id:path}", change, methods=["POST"], scope=WRITE),
]
