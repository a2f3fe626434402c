"""Workflows for the screenshots (``make screenshots``): a Jira credential, two installed templates under
stable ids, and one execution of the Jira one against a Jira stand-in on loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.web.conftest import Server
from tests.workflows import standins
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.workflows import templates
from threatlake.workflows.hosting import engine_for

JIRA_ID = "demo-critical-detections-jira"
SLACK_ID = "demo-critical-detections-slack"
_RUN = "/platform/automation/v1/workflows/{id}/run"
_EXECUTION = "/platform/automation/v1/executions/{id}"


def _broken(page: Any) -> None:
    """Replace the definition with one whose task asks for 99 retries, and save: the problem at its line."""
    page.evaluate(
        """() => { const area = document.getElementById('workflow-yaml');
        area.value = area.value.replace('count: 3', 'count: 99').replace('concurrency: 3', 'concurrency: 0');
        area.form.submit(); }"""
    )
    page.locator("#problems li").first.wait_for()
    page.locator(".cm-lintRange-error").first.wait_for()


def _open_jira_form(page: Any) -> None:
    page.locator("[data-credential-type=jira] summary").click()


def _open_execution(page: Any) -> None:
    page.locator("#executions tbody a").first.click()
    page.locator("#tasks [data-task]").first.wait_for()


A = "from=now()-3650d&to=now()"
#: (file name, path, ready selector, theme, action)
SHOTS: list[tuple[str, str, str, str, Any]] = [
    ("workflows", "/automation/workflows", "#workflows", "light", None),
    ("workflow", f"/automation/workflows/{JIRA_ID}", "#task-graph", "light", None),
    ("workflow-problems", f"/automation/workflows/{JIRA_ID}", ".cm-editor", "dark", _broken),
    ("workflow-execution", f"/automation/workflows/{JIRA_ID}", "#executions", "light", _open_execution),
    (
        "workflow-install",
        "/automation/workflows/install?template=critical-detections-jira",
        "form",
        "light",
        None,
    ),
    ("credentials", "/automation/credentials", "#credentials", "light", _open_jira_form),
    ("integration-templates", f"/settings/aws-security-hub?{A}#templates", "#templates-form", "light", None),
]


def prepare(server: Server) -> None:
    state = open_state(server.data_dir)
    try:
        _, token = create_token(
            state,
            ["automation:workflows:read", "automation:workflows:run"],
            now=datetime.now(UTC),
            name="demo",
        )
        with standins.serve(standins.jira()) as jira:
            secret = {"url": jira.url, "email": "soc-bot@example.com", "apiToken": "demo-token"}
            state.credentials.create("jira-prod", "jira", secret, now=datetime.now(UTC))
            state.credentials.set_default("jira-prod")
            engine = engine_for(state, None)
            inputs = {"project": "SEC", "lookback": "3650d"}
            engine.save(templates.install("critical-detections-jira", inputs), JIRA_ID, version=0)
            engine.save(templates.install("critical-detections-slack"), SLACK_ID, version=0)
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Api-Token {token}"}) as client:
                started = client.post(_RUN.format(id=JIRA_ID), json={})
                assert started.status_code == 201, started.text
                for _ in range(300):
                    record = client.get(_EXECUTION.format(id=started.json()["id"])).json()
                    if record["state"] != "RUNNING":
                        break
                    time.sleep(0.2)
                assert record["state"] == "SUCCESS", record
    finally:
        state.close()
