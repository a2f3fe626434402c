"""Workflows in a real browser: create a Jira credential, install a template from the GuardDuty page's "Try
our templates", see its editor and task graph, run it now against a Jira stand-in on loopback and see the
execution's tasks; a broken definition is refused with the problem underlined at its line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import harness
from tests.web.conftest import Server
from tests.workflows import standins


@pytest.fixture
def jira() -> Iterator[standins.StandIn]:
    with standins.serve(standins.jira()) as running:
        yield running


def test_install_from_the_integration_page_and_run_it(
    page: Any, server: Server, jira: standins.StandIn
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/automation/credentials")
    jira_form = page.locator("[data-credential-type=jira]")
    jira_form.locator("summary").click()
    jira_form.get_by_label("Name", exact=True).fill("jira-e2e")
    jira_form.get_by_label("Jira site URL").fill(jira.url)
    jira_form.get_by_label("User (e-mail or user name)").fill("bot@example.com")
    jira_form.get_by_label("API token").fill("E2E-SECRET")
    jira_form.get_by_label("The default Jira credential").check()
    jira_form.get_by_role("button", name="Save Jira credential").click()
    expect(page.locator("tr[data-credential=jira-e2e]")).to_be_visible()
    assert "E2E-SECRET" not in page.content()

    page.goto(f"{server.url}/settings/amazon-guardduty?{harness.ALL_TIME}")
    templates = page.locator("#templates-form")
    for name in ("critical-detections-slack", "critical-detections-teams"):
        templates.locator(f"input[type=checkbox][value={name}]").uncheck()
    templates.locator("#critical-detections-jira-project").fill("E2E")
    templates.locator("#critical-detections-jira-lookback").fill("3650d")
    templates.get_by_role("button", name="Install the chosen templates").click()
    expect(page.locator("#templates-installed")).to_be_visible()
    page.locator("[data-workflow-template=critical-detections-jira] a[data-open]").click()

    expect(page.locator("h1")).to_have_text("Critical detections to Jira")
    expect(page.locator("#task-graph [data-task]")).to_have_count(4)
    expect(page.locator(".cm-editor .cm-content")).to_contain_text("project: E2E")
    page.get_by_role("button", name="Run now").click()
    page.wait_for_url("**/automation/executions/**")
    expect(page.locator("h1 [data-state]")).to_have_text("SUCCESS", timeout=60_000)  # refreshes while running
    tasks = page.locator("#tasks [data-task]")
    expect(tasks).to_have_count(4)
    opened = page.locator("#tasks [data-task=open_tickets]")
    expect(opened).to_have_attribute("data-state", "SUCCESS")
    expect(opened.locator("[data-result]")).to_contain_text("key: E2E-1")
    assert "key: E2E\n" in opened.locator("[data-input]").inner_text()  # the rendered input
    issues = jira.requests("POST", r"/rest/api/2/issue")
    assert issues and all(i.json["fields"]["project"] == {"key": "E2E"} for i in issues)
    assert issues[0].headers["Authorization"].startswith("Basic ")

    page.locator("a", has_text="Critical detections to Jira").first.click()
    expect(page.locator("#executions tbody tr")).to_have_count(1)
    page.goto(f"{server.url}/automation/workflows")
    row = page.locator("#workflows tr", has_text="Critical detections to Jira")
    expect(row.locator("[data-last] [data-state]")).to_have_text("SUCCESS")
    row.get_by_role("button", name="Disable Critical detections to Jira").click()
    expect(
        page.locator("#workflows tr", has_text="Critical detections to Jira").locator("[data-active]")
    ).to_have_attribute("data-active", "off")


def test_a_broken_definition_is_underlined_at_its_line(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/automation/workflows/new")
    page.locator(".cm-editor").wait_for()
    page.evaluate(
        """() => { const area = document.getElementById('workflow-yaml');
        area.value = area.value.replace('predecessors: []', 'predecessors: [nowhere]');
        area.form.submit(); }"""
    )
    problem = page.locator("#problems li").first
    expect(problem).to_contain_text("nowhere")
    line = int(problem.get_attribute("data-line") or 0)
    assert line > 0
    marked = page.locator(".cm-lintRange-error").first
    expect(marked).to_be_visible()
    # the underline is on the line the server named
    text_of_line = page.evaluate(
        f"() => document.getElementById('workflow-yaml').value.split('\\n')[{line - 1}]"
    )
    assert text_of_line.strip() and text_of_line.strip() in page.locator(".cm-line", has=marked).inner_text()


def test_read_only_user_sees_workflows_but_no_controls(reader_page: Any, server: Server) -> None:
    reader_page.goto(f"{server.url}/automation/workflows")
    assert reader_page.locator("#workflows").is_visible()
    assert reader_page.get_by_role("button", name="Run now").count() == 0
    assert reader_page.locator("#new-workflow").count() == 0
