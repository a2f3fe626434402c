"""Home, ``/``: findings by provider and risk level over the timeframe, the newest critical findings, and
ingest health per connection (last seen, events in the last 24 hours, events received). A connection the
settings do not hold (the demo data's ``samples``, one deleted since) is shown from the stored events: its
last ingest time and how many of its events are stored."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from threatlake.web.views import platform
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import page
from threatlake.web.views.render import render

__all__ = ["NAV", "RISK_LEVELS", "ROUTES"]

NAV = (NavLink("Overview", "Home", "/"),)
RISK_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "NOT_AVAILABLE")
DEFAULT_FROM = "now()-24h"

# Each finding once, at its newest version's risk (as the lists count them): newest first, so the store
# answers it from its ``latest`` table.
BY_PROVIDER = """fetch security.events
| fields finding.id, timestamp, event.provider, dt.security.risk.level
| dedup {finding.id}, sort:{timestamp desc}
| summarize findings = count(), by:{provider = event.provider, risk = dt.security.risk.level}"""
# The findings critical now (their newest version), newest first: a finding that was critical once and
# is low now is not listed.
NEWEST_CRITICAL = """fetch security.events
| fields timestamp, finding.id, finding.title, event.provider, object.name, aws.account.id,
    dt.security.risk.level
| dedup {finding.id}, sort:{timestamp desc}
| filter dt.security.risk.level == "CRITICAL"
| sort timestamp desc
| limit 10"""
# Ingest health is about when events arrived (dt.ingest.time), whatever time their findings carry; the
# stored count answers for connections the settings do not know (the demo data, a deleted connection).
INGEST_HEALTH = """fetch security.events, from:-3650d
| summarize events = countIf(dt.ingest.time >= now() - 24h), stored = count(), last = max(dt.ingest.time),
    by:{connection = dt.ingest.connection}"""


def _matrix(records: list[dict[str, Any]]) -> tuple[list[str], dict[str, dict[str, int]], dict[str, int]]:
    """Providers, provider -> risk -> findings, and risk -> findings over every provider."""
    table: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(RISK_LEVELS, 0)
    for record in records:
        provider = str(record.get("provider") or "unknown")
        risk = str(record.get("risk") or "NOT_AVAILABLE")
        count = int(record.get("findings") or 0)
        table.setdefault(provider, {})[risk] = table.get(provider, {}).get(risk, 0) + count
        totals[risk] = totals.get(risk, 0) + count
    return sorted(table), table, totals


async def show(request: Request) -> Response:
    timeframe = request.state.timeframe
    by_provider, critical, health = await asyncio.gather(
        platform.run_query(request, BY_PROVIDER, timeframe),
        platform.run_query(request, NEWEST_CRITICAL, timeframe),
        platform.run_query(request, INGEST_HEALTH, timeframe),
    )
    providers, table, totals = _matrix(by_provider.records)
    recent = {str(record.get("connection")): record for record in health.records}
    connections = [
        {
            "name": connection.name,
            "integration": connection.integration,
            "last_seen": connection.last_seen,
            "events_24h": int(recent.get(connection.name, {}).get("events") or 0),
            "events_received": connection.events_received,
        }
        for connection in platform.connections(request)
    ]
    known = {connection["name"] for connection in connections}
    for name, record in sorted(recent.items()):
        if name not in known and name != "None":
            connections.append(
                {
                    "name": name,
                    "integration": "demo data" if name == platform.DEMO_CONNECTION else "",
                    "last_seen": record.get("last"),
                    "events_24h": int(record.get("events") or 0),
                    "events_received": int(record.get("stored") or 0),
                }
            )
    chart = {
        "kind": "bar",
        "stacked": True,
        "x": providers,
        "series": [
            {"name": risk, "data": [table[provider].get(risk, 0) for provider in providers]}
            for risk in RISK_LEVELS
            if totals.get(risk)
        ],
    }
    context = {
        "providers": providers,
        "table": table,
        "totals": totals,
        "risk_levels": RISK_LEVELS,
        "total": sum(totals.values()),
        "critical": critical.records,
        "connections": connections,
        "chart": chart,
    }
    return render(request, "home.html", context)


ROUTES = [page("/", show, default_from=DEFAULT_FROM)]
