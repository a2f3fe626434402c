"""The workflow pages: list with enable/disable, last and next run; the YAML editor with problems at their
line and the task graph; install a template; run now; an execution's tasks; scopes and CSRF."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.web.views.conftest import Site, texts
from tests.workflows import standins
from threatlake.workflows.hosting import engine_for

LIST = "/automation/workflows"
BROKEN = """\
workflow:
  title: Broken
  tasks:
    a:
      action: dynatrace.automations:sleep
      input: {seconds: 0}
    b:
      action: dynatrace.automations:sleep
      input: {seconds: 0}
      predecessors: [a]
      retry: {count: 99}
  trigger: {}
"""


@pytest.fixture
def jira() -> Iterator[standins.StandIn]:
    with standins.serve(standins.jira()) as running:
        yield running


def _install(admin: Site, name: str = "critical-detections-jira", **inputs: str) -> str:
    data = {"csrf": admin.csrf(LIST), "template": name, **{f"input.{k}": v for k, v in inputs.items()}}
    response = admin.client.post(f"{LIST}/install", data=data)
    assert response.status_code == 303, response.text[:2000]
    return response.headers["location"].split("?")[0].rsplit("/", 1)[1]


def test_install_list_toggle_and_graph(admin: Site) -> None:
    tree = admin.html(f"{LIST}/install", template="critical-detections-jira")
    assert [n.attributes["name"] for n in tree.css("[data-template] input[name^='input.']")] == [
        "input.project",
        "input.issueType",
        "input.lookback",
    ]
    workflow_id = _install(admin, project="OPS")
    row = admin.html(LIST).css_first(f"#workflows tr[data-workflow='{workflow_id}']")
    assert row.css_first("th a").text() == "Critical detections to Jira"
    assert row.css_first("[data-trigger]").text(strip=True) == "every 30 min (UTC)"
    assert row.css_first("[data-active]").attributes["data-active"] == "on"
    assert row.css_first("[data-next]").text(strip=True)[:2] == "20"  # a time
    assert row.css_first("[data-last]").text(strip=True) == "never"

    page = admin.html(f"{LIST}/{workflow_id}")
    assert "project: OPS" in page.css_first("#workflow-yaml").text()
    nodes = [n.attributes["data-task"] for n in page.css("#task-graph [data-task]")]
    assert nodes == ["get_findings", "select_new", "open_tickets", "record_reported"]
    assert len(page.css("#task-graph path.wf-edge")) == 4  # record_reported has two predecessors
    ys = [float(n.attributes["transform"].split(",")[1].rstrip(")")) for n in page.css("#task-graph g")]
    assert ys == sorted(ys) and len(set(ys)) == 4  # one row per depth

    csrf = admin.csrf(LIST)
    off = admin.client.post(f"{LIST}/{workflow_id}/active", data={"csrf": csrf, "active": "off"})
    assert off.status_code == 303
    row = admin.html(LIST).css_first(f"#workflows tr[data-workflow='{workflow_id}']")
    assert row.css_first("[data-active]").attributes["data-active"] == "off"
    assert row.css_first("[data-next]").text(strip=True) == "—"
    assert engine_for(admin.state, None).get(workflow_id)[1].schedule.active is False  # type: ignore[union-attr]


def test_editor_shows_problems_at_their_line_and_saves(admin: Site) -> None:
    csrf = admin.csrf(LIST)
    refused = admin.client.post(LIST, data={"csrf": csrf, "yaml": BROKEN})
    assert refused.status_code == 400
    tree = HTMLParser(refused.text)
    problems = tree.css("#problems li")
    assert [p.attributes["data-line"] for p in problems] == ["11"]
    assert "task b" in problems[0].text() and "retry" in problems[0].text()
    assert tree.css_first("#workflow-yaml").text() == BROKEN  # the text is kept to fix
    assert '"line":11' in tree.css_first("#workflow-problems").text()

    fixed = BROKEN.replace("count: 99", "count: 2")
    saved = admin.client.post(LIST, data={"csrf": csrf, "yaml": fixed})
    assert saved.status_code == 303
    path = saved.headers["location"].split("?")[0]
    page = admin.html(path)
    assert page.css_first("h1").text() == "Broken"
    assert [n.attributes["data-task"] for n in page.css("#task-graph [data-task]")] == ["a", "b"]
    version = page.css_first("input[name=version]").attributes["value"]
    again = admin.client.post(
        path, data={"csrf": csrf, "yaml": fixed.replace("Broken", "Fixed"), "version": version}
    )
    assert again.status_code == 303
    stale = admin.client.post(path, data={"csrf": csrf, "yaml": fixed, "version": version})
    assert stale.status_code == 409
    assert "Someone saved" in HTMLParser(stale.text).css_first("#problems").text()
    assert admin.html(path).css_first("h1").text() == "Fixed"
    broken = admin.client.post(path, data={"csrf": csrf, "yaml": BROKEN, "version": str(int(version) + 1)})
    assert broken.status_code == 400
    tree = HTMLParser(broken.text)
    assert tree.css_first("#workflow-yaml").text() == BROKEN
    assert [n.attributes["data-task"] for n in tree.css("#task-graph [data-task]")] == ["a", "b"]  # stored
    assert tree.css_first("h1").text() == "Fixed"
    gone = admin.client.post(f"{path}/delete", data={"csrf": csrf})
    assert gone.status_code == 303
    admin.html(path, expect=404)


def test_run_now_and_the_execution_shows_each_task(admin: Site, jira: standins.StandIn) -> None:
    secret = {"url": jira.url, "email": "bot@example.com", "apiToken": "T0K"}
    admin.state.credentials.create("jira-page", "jira", secret, now=datetime.now(UTC))
    admin.state.credentials.set_default("jira-page")
    workflow_id = _install(admin, project="PAGE", lookback="3650d")
    csrf = admin.csrf(LIST)
    started = admin.client.post(f"{LIST}/{workflow_id}/run", data={"csrf": csrf})
    assert started.status_code == 303 and started.headers["location"].startswith("/automation/executions/")
    assert admin.html(started.headers["location"]).css_first("h1 [data-state]") is not None

    # a run to its end through the same engine (the in-process client ends its loop after each request)
    record = asyncio.run(engine_for(admin.state, admin.store).run(workflow_id))
    assert record["state"] == "SUCCESS", record
    page = admin.html(f"/automation/executions/{record['id']}")
    tasks = {n.attributes["data-task"]: n for n in page.css("#tasks [data-task]")}
    assert list(tasks) == ["get_findings", "select_new", "open_tickets", "record_reported"]
    assert all(t.attributes["data-state"] == "SUCCESS" for t in tasks.values())
    query = tasks["get_findings"].css_first("[data-input]").text()
    assert "query: |-\n  fetch security.events, from:now()-" in query  # rendered, as a readable block
    issues = jira.requests("POST", r"/rest/api/2/issue")
    assert issues and "key: PAGE-1" in tasks["open_tickets"].css_first("[data-result]").text()
    assert "key: PAGE\n" in tasks["open_tickets"].css_first("[data-input]").text()  # the rendered input
    assert "T0K" not in page.html  # a credential's secret is never on a page
    states = {n.attributes["data-task"]: n.attributes["data-state"] for n in page.css("#task-graph g")}
    assert set(states.values()) == {"SUCCESS"}
    row = admin.html(LIST).css_first(f"#workflows tr[data-workflow='{workflow_id}'] [data-last]")
    assert texts(row, "[data-state]") == ["SUCCESS"]


def test_a_failed_task_shows_its_error(admin: Site) -> None:
    csrf = admin.csrf(LIST)
    failing = BROKEN.replace(
        "dynatrace.automations:sleep\n      input: {seconds: 0}\n    b",
        "no.such:action\n      input: {}\n    b",
    ).replace("count: 99", "count: 0")
    saved = admin.client.post(LIST, data={"csrf": csrf, "yaml": failing})
    assert saved.status_code == 303, saved.text[:1000]
    workflow_id = saved.headers["location"].split("?")[0].rsplit("/", 1)[1]
    record = asyncio.run(engine_for(admin.state, admin.store).run(workflow_id))
    page = admin.html(f"/automation/executions/{record['id']}")
    assert "not available here" in page.css_first("[data-task=a][data-state=ERROR] [data-error]").text()
    assert "not available here" in page.css_first("#execution-error").text()
    assert page.css_first("[data-task=b]").attributes["data-state"] in ("SKIPPED", "CANCELLED")


def test_reader_sees_but_cannot_change_or_run(admin: Site, reader: Site) -> None:
    admin.sign_in()
    workflow_id = _install(admin, "critical-detections-teams")
    reader.sign_in("reader", "reader-password-1")
    tree = reader.html(LIST)
    assert tree.css_first(f"tr[data-workflow='{workflow_id}']") is not None
    assert tree.css("#workflows form") == [] and tree.css_first("#new-workflow") is None
    page = reader.html(f"{LIST}/{workflow_id}")
    assert "readonly" in page.css_first("#workflow-yaml").attributes
    assert page.css_first("#save-workflow") is None and page.css_first("#run-now") is None
    csrf = reader.csrf(LIST)
    for path, data in [
        (f"{LIST}/{workflow_id}/run", {}),
        (f"{LIST}/{workflow_id}/active", {"active": "off"}),
        (f"{LIST}/{workflow_id}/delete", {}),
        (f"{LIST}/install", {"template": "critical-detections-slack"}),
    ]:
        assert reader.client.post(path, data={"csrf": csrf, **data}).status_code == 403, path


def test_forms_need_the_csrf_token_and_a_session(admin: Site) -> None:
    workflow_id = _install(admin, "critical-detections-slack", channel="#x")
    for path in (f"{LIST}/{workflow_id}/run", f"{LIST}/{workflow_id}/delete", f"{LIST}/install"):
        assert admin.client.post(path, data={"csrf": "wrong", "template": "x"}).status_code == 403, path
    assert admin.html(f"{LIST}/{workflow_id}").css_first("h1").text() == "Critical detections to Slack"
    admin.client.cookies.clear()
    response = admin.client.get(LIST)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


def test_install_refuses_an_unknown_input(admin: Site) -> None:
    data = {"csrf": admin.csrf(LIST), "template": "critical-detections-jira", "input.nope": "x"}
    # an input the form does not offer is refused with the template's inputs named
    response = admin.client.post(f"{LIST}/install", data=data)
    assert response.status_code == 400
    assert "has no input 'nope'" in HTMLParser(response.text).css_first("#install-error").text()
