"""Demo documents for the browser tests' screenshots: the shipped dashboards and two notebooks, created
through the Document API (fixed ids, so ``screenshots.py`` can name their pages)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.web.conftest import Server
from threatlake.documents import shipped_dashboards
from threatlake.documents.library import READ_SCOPE, WRITE_SCOPE
from threatlake.service.access import create_token
from threatlake.state import open_state

BASE = "/platform/document/v1/documents"
NOTEBOOK_ID = "demo-triage-notebook"
ERROR_NOTEBOOK_ID = "demo-error-notebook"
BY_PROVIDER = """fetch security.events
| summarize findings = count(), by:{event.provider, dt.security.risk.level}
| sort findings desc"""
OVER_TIME = """fetch security.events
| filter event.provider == "Amazon GuardDuty"
| makeTimeseries detections = count(default:0), by:{threat.purpose}, interval:30d"""

TRIAGE = {
    "version": "7",
    "defaultTimeframe": {"from": "now()-3650d", "to": "now()"},
    "sections": [
        {
            "id": "intro",
            "type": "markdown",
            "markdown": "## Weekly triage\nFindings by provider, then the critical ones over time.",
        },
        {
            "id": "by-provider",
            "type": "dql",
            "title": "Findings by provider and risk level",
            "state": {
                "input": {"value": BY_PROVIDER},
                "visualization": "barChart",
            },
        },
        {
            "id": "over-time",
            "type": "dql",
            "title": "GuardDuty detections over time",
            "state": {
                "input": {"value": OVER_TIME},
                "visualization": "areaChart",
            },
        },
    ],
}
BROKEN = {
    "version": "7",
    "defaultTimeframe": {"from": "now()-3650d", "to": "now()"},
    "sections": [
        {
            "id": "typo",
            "type": "dql",
            "title": "A typo",
            "state": {
                "input": {
                    "value": 'fetch security.events\n| filtr dt.security.risk.level == "CRITICAL"\n| limit 10'
                }
            },
        }
    ],
}


def prepare(server: Server) -> None:
    settings = open_state(server.data_dir)
    try:
        _, token = create_token(
            settings, [READ_SCOPE, WRITE_SCOPE], now=datetime.now(UTC), name="screenshots"
        )
    finally:
        settings.close()
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Api-Token {token}"}, timeout=30
    ) as client:
        documents = [
            ("dashboard", f"threatlake-{stem}", name, doc) for stem, name, doc in shipped_dashboards()
        ]
        documents += [
            ("notebook", NOTEBOOK_ID, "Weekly triage", TRIAGE),
            ("notebook", ERROR_NOTEBOOK_ID, "A typo", BROKEN),
        ]
        for kind, document_id, name, content in documents:
            response = client.post(
                BASE, json={"id": document_id, "name": name, "type": kind, "content": content}
            )
            assert response.status_code in (201, 409), response.text


_A = "from=now()-3650d&to=now()"
#: Screenshots of the document pages (``screenshots.SHOTS`` lines).
SHOTS: list[tuple[str, str, str, str]] = [
    ("notebooks", "/notebooks", "[data-documents]", "light"),
    (
        "notebook",
        f"/notebooks/{NOTEBOOK_ID}?{_A}",
        "[data-notebook][data-settled] .nb-section[data-section-id=over-time] canvas",
        "light",
    ),
    (
        "notebook-error",
        f"/notebooks/{ERROR_NOTEBOOK_ID}?{_A}",
        ".nb-section[data-state=error] .cm-lintRange-error",
        "light",
    ),
    ("dashboards", "/dashboards", "[data-documents]", "light"),
    (
        "dashboard",
        f"/dashboards/threatlake-security-findings-overview?{_A}",
        "[data-dashboard][data-settled] [data-tile-id='5'] canvas",
        "light",
    ),
    (
        "dashboard-dark",
        f"/dashboards/threatlake-amazon-guardduty-detections?{_A}",
        "[data-dashboard][data-settled] [data-tile-id='4'] canvas",
        "dark",
    ),
    (
        "dashboard-edit",
        f"/dashboards/threatlake-container-vulnerabilities?{_A}&edit=1",
        ".editing[data-settled] [data-tile-id='5'] canvas",
        "light",
    ),
]
