"""The integration pages, ``/settings/amazon-guardduty`` and ``/settings/aws-security-hub``.

Each shows the ingested events over time per connection (DQL over ``dt.ingest.connection`` and
``dt.ingest.time``), the connections table with Delete (a confirmation naming the connection; revokes its
token), "Configure new connection" (name and region in; the token, shown once, and the filled-in AWS commands
out), "Open with → Notebook" and "Try our templates". One table entry per integration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from threatlake.errors import NotFoundError, ThreatlakeError
from threatlake.web.views import platform, try_templates
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import WRITE, form, page, viewer
from threatlake.web.views.render import render
from threatlake.web.views.timeframe import Timeframe

__all__ = ["INTEGRATIONS", "NAV", "ROUTES", "Integration"]

_QUIET_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Integration:
    slug: str
    title: str
    provider: str  # event.provider of what it delivers
    blurb: str
    dashboards: tuple[str, ...]  # names of shipped dashboards (``threatlake.documents.SHIPPED``)
    workflows: tuple[str, ...]  # names of shipped workflow templates (``threatlake.workflows.templates``)

    @property
    def path(self) -> str:
        return f"/settings/{self.slug}"

    @property
    def notebook_query(self) -> str:
        return f'fetch security.events\n| filter event.provider == "{self.provider}"\n| sort timestamp desc'


INTEGRATIONS: dict[str, Integration] = {
    "amazon-guardduty": Integration(
        "amazon-guardduty",
        "Amazon GuardDuty",
        "Amazon GuardDuty",
        "Threat detection findings from GuardDuty, delivered by EventBridge to the forwarder Lambda.",
        ("Security findings overview", "Amazon GuardDuty detections"),
        ("critical-detections-jira", "critical-detections-slack", "critical-detections-teams"),
    ),
    "aws-security-hub": Integration(
        "aws-security-hub",
        "AWS Security Hub",
        "AWS Security Hub",
        "Findings aggregated by Security Hub (Inspector, Config, Macie, GuardDuty, ...), in ASFF or OCSF.",
        ("Security findings overview", "AWS Security Hub compliance", "Container vulnerabilities"),
        ("critical-container-vulnerabilities-jira", "daily-top-findings-email"),
    ),
}
NAV = tuple(NavLink("Settings", item.title, item.path, "settings:read") for item in INTEGRATIONS.values())


def _integration(request: Request) -> Integration:
    slug = request.url.path.split("/")[2]
    return INTEGRATIONS[slug]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _chart_query(integration: Integration, timeframe: Timeframe) -> str:
    # whole seconds, the end rounded up: an event received in the second of "now" is in
    start, end = _iso(timeframe.start), _iso(timeframe.end + timedelta(seconds=1))
    return (
        "fetch security.events, from:-3650d\n"
        f'| filter event.provider == "{integration.provider}"\n'
        f'| filter dt.ingest.time >= toTimestamp("{start}") and dt.ingest.time < toTimestamp("{end}")\n'
        "| makeTimeseries events = count(default:0), by:{connection = dt.ingest.connection},"
        f' time:dt.ingest.time, from:toTimestamp("{start}"), to:toTimestamp("{end}")'
    )


_DURATION = re.compile(r"(\d+)(ns|ms|s|m|h|d)?")
_UNIT_SECONDS = {"ns": 1e-9, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1e-9}


def _seconds(interval: Any) -> float:
    """A result's ``interval`` (nanoseconds as a number or text) in seconds."""
    match = _DURATION.fullmatch(str(interval))
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0.0


def _series(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart spec of a ``makeTimeseries`` result: one line per connection over shared time bins."""
    if not records:
        return {"kind": "bar", "time": True, "stacked": True, "x": [], "series": []}
    first = records[0]
    start = datetime.fromisoformat(str(first["timeframe"]["start"]).replace("Z", "+00:00"))
    step = _seconds(first["interval"])
    size = len(first["events"])
    x = [_iso(start + timedelta(seconds=step * index)) for index in range(size)]
    series = [
        {
            "name": str(record.get("connection") or "(none)"),
            "data": [int(value or 0) for value in record["events"]],
        }
        for record in records
    ]
    return {"kind": "bar", "time": True, "stacked": True, "x": x, "series": series}


def _status(connection: Any, now: datetime) -> str:
    if not connection.last_seen:
        return "Waiting for data"
    seen = datetime.fromisoformat(connection.last_seen.replace("Z", "+00:00"))
    return "Receiving" if now - seen < _QUIET_AFTER else "Quiet for more than 24 h"


async def show(request: Request) -> Response:
    integration = _integration(request)
    timeframe: Timeframe = request.state.timeframe
    chart_query = _chart_query(integration, timeframe)
    result = await platform.run_query(request, chart_query, timeframe)
    now = datetime.now(UTC)
    connections = [
        {"record": record, "status": _status(record, now)}
        for record in platform.connections(request)
        if record.integration == integration.slug
    ]
    totals = {
        str(record.get("connection")): sum(int(value or 0) for value in record["events"])
        for record in result.records
    }
    notebook = "/notebooks/new?" + urlencode({"query": integration.notebook_query})
    context = {
        "integration": integration,
        "connections": connections,
        "chart": _series(result.records),
        "totals": totals,
        "chart_query": chart_query,
        "notebook": notebook,
        "can_write": viewer(request).can(WRITE),
        "deleted": request.query_params.get("deleted", ""),
        "error": "",
        "values": {},
        "offer": await try_templates.offer(request, integration),
        "can_install": try_templates.can_install(viewer(request)),
        "installed": request.query_params.get("installed", ""),
    }
    return render(request, "integration.html", context)


async def new(request: Request) -> Response:
    return render(
        request, "connection_new.html", {"integration": _integration(request), "error": "", "values": {}}
    )


async def create(request: Request) -> Response:
    integration = _integration(request)
    data = form(request)
    name, region = str(data.get("name") or "").strip(), str(data.get("region") or "").strip()
    fragment = bool(request.headers.get("hx-request"))
    try:
        created = platform.create_connection(request, name, integration.slug, region or None)
    except ThreatlakeError as error:
        context = {
            "integration": integration,
            "error": error.message,
            "values": {"name": name, "region": region},
        }
        template = "_connection_form.html" if fragment else "connection_new.html"
        return render(request, template, context, status=400)
    context = {"integration": integration, "created": created}
    return render(request, "_connection_created.html" if fragment else "connection_created.html", context)


def _connection(request: Request, integration: Integration) -> Any:
    name = request.path_params["name"]
    for record in platform.connections(request):
        if record.name == name and record.integration == integration.slug:
            return record
    raise NotFoundError(f"{integration.title} has no connection named {name[:100]!r}", {"name": name[:100]})


async def confirm_delete(request: Request) -> Response:
    integration = _integration(request)
    record = _connection(request, integration)
    return render(request, "connection_delete.html", {"integration": integration, "connection": record})


async def delete(request: Request) -> Response:
    integration = _integration(request)
    record = _connection(request, integration)
    platform.delete_connection(request, record.name)
    return RedirectResponse(f"{integration.path}?deleted={quote(record.name)}", status_code=303)


async def install_templates(request: Request) -> Response:
    """ "Try our templates": install the chosen dashboards and workflow templates (once), then come back."""
    integration = _integration(request)
    count = await try_templates.install(request, integration, form(request), viewer(request))
    return RedirectResponse(f"{integration.path}?installed={count}#templates", status_code=303)


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for item in INTEGRATIONS.values():
        base = item.path
        routes += [
            page(base, show, scope="settings:read", default_from="now()-24h"),
            page(base + "/connections/new", new, scope=WRITE),
            page(base + "/connections", create, methods=["POST"]),
            page(base + "/connections/{name}/delete", confirm_delete, scope=WRITE),
            page(base + "/connections/{name}/delete", delete, methods=["POST"]),
            page(base + "/templates", install_templates, methods=["POST"], scope=try_templates.SCOPE),
        ]
    return routes


ROUTES = _routes()
