"""Each shipped template against real loopback servers: one ticket/message per new affected object with the
finding titles, nothing sent twice, literal rendering of template syntax in finding data."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.workflows.conftest import credential, guardduty, ingest
from tests.workflows.smtp import smtp_server
from tests.workflows.standins import StandIn
from threatlake.store import Store
from threatlake.workflows import templates
from threatlake.workflows.engine import WorkflowEngine
from threatlake.workflows.memory import MemoryCredentials

TRICKY = "Backdoor {{ 7*7 }} {% for x in y %}"


def _findings(store: Store) -> None:
    ingest(
        store,
        guardduty("f1", "Command and control activity", "i-aaaa"),
        guardduty("f2", TRICKY, "i-aaaa"),
        guardduty("f3", "Bitcoin mining", "i-bbbb"),
        guardduty("f4", "Low severity probe", "i-cccc", severity=2.0),
    )


def test_every_template_validates_and_declares_documented_inputs() -> None:
    for name in templates.TEMPLATES:
        workflow = templates.load(name)
        assert workflow.schedule or workflow.event_trigger, name
        assert workflow.document["workflow"]["guide"], name
        for key in workflow.inputs:
            assert f"`{key}`" in workflow.document["workflow"]["guide"], (name, key)


def test_install_sets_inputs_and_refuses_unknown_ones(engine: WorkflowEngine) -> None:
    _, workflow = engine.install("critical-detections-jira", {"project": "OPS", "issueType": "Task"})
    assert workflow.inputs["project"] == "OPS" and workflow.schedule and workflow.schedule.active
    with pytest.raises(Exception, match="no input 'nope'"):
        engine.install("critical-detections-jira", {"nope": "x"})


def test_critical_detections_jira_once_per_object(
    engine: WorkflowEngine, store: Store, jira: StandIn, credentials: MemoryCredentials
) -> None:
    credentials.items.append(
        credential("jira-prod", "jira", url=jira.url, user="bot@example.com", token="t0k")
    )
    _findings(store)
    stored, _ = engine.install("critical-detections-jira", {"project": "OPS"})
    first = engine.run_sync(stored.id)
    assert first["state"] == "SUCCESS", first
    issues = jira.requests("POST", r"/rest/api/2/issue")
    assert len(issues) == 2  # i-aaaa and i-bbbb; the low-severity i-cccc is not critical
    by_summary = {r.json["fields"]["summary"]: r.json["fields"] for r in issues}
    aaaa = next(f for s, f in by_summary.items() if "i-aaaa" in s)
    assert aaaa["project"] == {"key": "OPS"} and aaaa["issuetype"] == {"name": "Bug"}
    assert "Command and control activity" in aaaa["description"]
    assert TRICKY in aaaa["description"]  # rendered literally, never evaluated
    assert "49" not in aaaa["summary"]
    assert "/threats?object=arn%3Aaws%3Aec2%3A" in aaaa["description"]  # the UI's list of its findings
    assert issues[0].headers["Authorization"].startswith("Basic ")
    second = engine.run_sync(stored.id)
    assert second["state"] == "SUCCESS"
    assert len(jira.requests("POST", r"/rest/api/2/issue")) == 2  # nothing twice
    assert second["tasks"]["open_tickets"]["state"] == "SKIPPED"
    ingest(store, guardduty("f5", "New threat", "i-aaaa"))
    engine.run_sync(stored.id)
    issues = jira.requests("POST", r"/rest/api/2/issue")
    assert len(issues) == 3
    assert "New threat" in issues[-1].json["fields"]["summary"]
    assert "Command and control" not in issues[-1].json["fields"]["description"]


def test_failing_jira_retries_then_fails_visibly_and_is_retried_next_run(
    engine: WorkflowEngine, store: Store, jira: StandIn, credentials: MemoryCredentials
) -> None:
    credentials.items.append(credential("jira-prod", "jira", url=jira.url, token="pat"))
    ingest(store, guardduty("f1", "Command and control activity", "i-aaaa"))
    stored, _ = engine.install("critical-detections-jira")
    jira.fail_next = [503] * 4  # the first attempt and all three retries
    failed = engine.run_sync(stored.id)
    assert failed["state"] == "ERROR"
    task = failed["tasks"]["open_tickets"]
    assert task["state"] == "ERROR" and "HTTP 503" in task["stateInfo"] and task["retries"] == 3
    assert "HTTP 503" in failed["stateInfo"]
    assert jira.requests("POST", r"/rest/api/2/issue")[0].headers["Authorization"] == "Bearer pat"
    again = engine.run_sync(stored.id)  # not marked reported: the next run opens the ticket
    assert again["state"] == "SUCCESS"
    assert [r for r in jira.received if r.method == "POST"][-1].json["fields"]["summary"].count("i-aaaa") == 1


def test_terminal_jira_error_is_not_retried(
    engine: WorkflowEngine, store: Store, jira: StandIn, credentials: MemoryCredentials
) -> None:
    credentials.items.append(credential("jira-prod", "jira", url=jira.url, token="pat"))
    ingest(store, guardduty("f1", "Command and control activity", "i-aaaa"))
    stored, _ = engine.install("critical-detections-jira")
    jira.fail_next = [400]
    failed = engine.run_sync(stored.id)
    assert failed["tasks"]["open_tickets"]["retries"] == 0
    assert "HTTP 400" in failed["tasks"]["open_tickets"]["stateInfo"]


def test_critical_detections_slack_bot_once_per_object(
    engine: WorkflowEngine, store: Store, slack: StandIn, credentials: MemoryCredentials
) -> None:
    credentials.items.append(credential("slack", "slack", bot_token="xoxb-test", api_url=slack.url + "/api"))
    _findings(store)
    stored, _ = engine.install("critical-detections-slack", {"channel": "#sec"})
    result = engine.run_sync(stored.id)
    assert result["state"] == "SUCCESS", result
    posts = slack.requests("POST", r"/api/chat\.postMessage")
    assert len(posts) == 2 and {p.json["channel"] for p in posts} == {"#sec"}
    text = next(p.json["text"] for p in posts if "i-aaaa" in p.json["text"])
    assert TRICKY in text and "Command and control activity" in text
    assert result["tasks"]["send_messages"]["result"][0]["ts"].startswith("1700000000.")
    engine.run_sync(stored.id)
    assert len(slack.requests("POST", r"/api/chat\.postMessage")) == 2


def test_critical_container_vulnerabilities_jira_skips_detections(
    engine: WorkflowEngine, store: Store, jira: StandIn, credentials: MemoryCredentials
) -> None:
    credentials.items.append(credential("jira-prod", "jira", url=jira.url, token="pat", api="3"))
    _findings(store)  # detections only: no container vulnerability to report
    stored, _ = engine.install("critical-container-vulnerabilities-jira")
    result = engine.run_sync(stored.id)
    assert result["state"] == "SUCCESS", result
    assert result["tasks"]["open_tickets"]["state"] == "SKIPPED"
    assert jira.requests("POST", r"/rest/api/3/issue") == []


def test_daily_top_findings_email_one_per_account(
    engine: WorkflowEngine, store: Store, credentials: MemoryCredentials
) -> None:
    _findings(store)
    with smtp_server() as (mailbox, port):
        credentials.items.append(
            credential(
                "mail",
                "smtp",
                host="127.0.0.1",
                port=port,
                security="none",
                **{"from": "threatlake@example.com"},
            )
        )
        stored, _ = engine.install("daily-top-findings-email", {"recipients": "a@example.com, b@example.com"})
        result = engine.run_sync(stored.id)
        assert result["state"] == "SUCCESS", result
        assert len(mailbox.messages) == 1  # one account in the findings
        recipients, message = mailbox.messages[0]
        assert recipients == ["a@example.com", "b@example.com"]
        assert "123456789012" in message["Subject"]
        html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
        assert "Bitcoin mining" in html and "<table>" in html
        assert "{{ 7*7 }}" in html
        engine.run_sync(stored.id)
        assert len(mailbox.messages) == 1


def test_critical_detections_teams_on_new_events_once(
    engine: WorkflowEngine, store: Store, teams: StandIn, credentials: MemoryCredentials
) -> None:
    credentials.items.append(credential("teams", "msteams", webhook_url=teams.url + "/webhook/abc"))
    engine.install("critical-detections-teams")
    new = ingest(store, guardduty("f1", TRICKY, "i-aaaa"), guardduty("f4", "Probe", "i-cccc", severity=2.0))
    executions = asyncio.run(engine.on_new_events(new))
    assert len(executions) == 1 and executions[0]["state"] == "SUCCESS", executions
    posts = teams.requests("POST", r"/webhook/abc")
    assert len(posts) == 1
    card = posts[0].json["attachments"][0]["content"]
    assert TRICKY in card["body"][0]["text"]
    assert asyncio.run(engine.on_new_events(new)) == []  # the same events again: at most once
    assert len(teams.requests("POST", r"/webhook/abc")) == 1


def test_templates_on_disk_match_registry() -> None:
    directory = Path(templates.__file__).parent / "templates"
    assert sorted(p.name for p in directory.glob("*.yaml")) == sorted(templates.TEMPLATES.values())


def test_docs_name_every_action_and_template() -> None:
    from threatlake.workflows.actions import ACTIONS

    text = (Path(__file__).parents[2] / "docs/workflows.md").read_text()
    for action in ACTIONS:
        assert action.split(":")[1] in text, action
    for name in templates.TEMPLATES:
        assert f"`{name}`" in text, name
