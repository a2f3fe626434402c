"""Suppression rules, ``/threats/suppressions``: a saved filter (a DQL condition) and the status it gives.

Each rule shows how many findings it matches now; "Apply" gives them its status (triage only: no data is
ever deleted), and every finding stored later that it matches takes its status as it arrives (the new-event
hook in ``threatlake.service.triage``). A rule's condition is compiled when it is saved, so a rule that
cannot run is refused with the compiler's positioned error.
Rules that expire stop matching after their expiry.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threatlake.errors import QueryError, RequestError
from threatlake.service import triage as triaging
from threatlake.state.suppressions import RULE_STATUSES
from threatlake.state.triage import MAX_BULK
from threatlake.web.services import services
from threatlake.web.views import platform
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import WRITE, form, page, viewer
from threatlake.web.views.render import render, url_for
from threatlake.web.views.timeframe import parse_timeframe

__all__ = ["NAV", "ROUTES"]

NAV = (NavLink("Threats & Exploits", "Suppression rules", "/threats/suppressions"),)
_ALL_TIME = {"from": "now()-36500d", "to": "now()"}


async def _matches(request: Request, condition: str) -> list[str]:
    timeframe = parse_timeframe(_ALL_TIME, datetime.now(UTC))
    text = triaging.matching_query(condition)
    result = await platform.run_query(request, text, timeframe, max_records=MAX_BULK)
    return [str(record["finding.id"]) for record in result.records if record.get("finding.id")]


async def show(request: Request) -> Response:
    rules = await run_in_threadpool(platform.state(request).suppressions.list)
    now = datetime.now(UTC)

    async def count(rule: Any) -> int | str:
        try:
            return len(await _matches(request, rule.condition)) if rule.active(now) else 0
        except QueryError as error:
            return f"error: {error.message}"

    counts = await asyncio.gather(*(count(rule) for rule in rules))
    context = {
        "rules": list(zip(rules, counts, strict=True)),
        "statuses": RULE_STATUSES,
        "can_write": viewer(request).can(WRITE),
        "note": request.query_params.get("note", ""),
    }
    return render(request, "suppressions.html", context)


async def create(request: Request) -> Response:
    data = form(request)
    name, condition = str(data.get("name") or "").strip(), str(data.get("condition") or "").strip()
    status, reason = str(data.get("status") or "SUPPRESSED"), str(data.get("reason") or "")
    days = str(data.get("days") or "").strip()
    if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
        raise RequestError("'expires after' must be 1 to 3650 days, or empty", {"field": "days"})
    await _matches(request, condition)  # refused here with line and column when it cannot run
    now = datetime.now(UTC)
    expires = now + timedelta(days=int(days)) if days else None
    await run_in_threadpool(
        lambda: platform.state(request).suppressions.create(
            name, condition, who=viewer(request).name, now=now, status=status, reason=reason, expires=expires
        )
    )
    return RedirectResponse("/threats/suppressions?note=Rule+saved", status_code=303)


async def apply(request: Request) -> Response:
    rule = await run_in_threadpool(
        platform.state(request).suppressions.get, str(form(request).get("id") or "")
    )
    now = datetime.now(UTC)
    if not rule.active(now):
        raise RequestError(f"Rule {rule.name!r} is disabled or expired")
    ids = await _matches(request, rule.condition)
    store = services(request).store
    done = await run_in_threadpool(
        lambda: triaging.bulk_set(
            platform.state(request),
            store,
            ids,
            status=rule.status,
            who=viewer(request).name,
            now=now,
            comment=triaging.rule_comment(rule),
        )
    )
    note = f"{done.matched} matched, {done.changed} set to {rule.status}"
    return RedirectResponse(url_for(request, "/threats/suppressions", note=note), status_code=303)


ROUTES = [
    page("/threats/suppressions", show),
    page("/threats/suppressions", create, methods=["POST"]),
    page("/threats/suppressions/apply", apply, methods=["POST"]),
]
