"""Each action against real loopback servers (Jira, Slack, Teams, SMTP, a signed webhook) or its sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.workflows.conftest import credential
from tests.workflows.smtp import smtp_server
from tests.workflows.standins import StandIn, serve, signed_receiver
from threatlake.workflows.actions import lookup
from threatlake.workflows.actions.base import ActionContext, Services
from threatlake.workflows.errors import ActionError
from threatlake.workflows.memory import MemoryCredentials
from threatlake.workflows.ports import Credential


def call(
    action_id: str, inputs: dict[str, Any], *creds: Credential, item: Any = None, **services: Any
) -> Any:
    action = lookup(action_id)
    assert action is not None, action_id
    action.check(inputs)
    context = ActionContext(
        Services(credentials=MemoryCredentials(creds), **services),
        "exec-1",
        "wf-1",
        "task",
        {"q": {"n": 3}},
        item,
    )
    output = asyncio.run(action.run(inputs, context))
    call.logs = context.logs  # type: ignore[attr-defined]
    return output


def test_jira_v3_create_comment_transition_search(jira: StandIn) -> None:
    cred = credential("jira", "jira", url=jira.url, user="me@example.com", token="t", api="3")
    created = call(
        "dynatrace.jira:jira-create-issue",
        {"project": "SEC", "issueType": {"id": "10001"}, "summary": "S", "description": "a\nb"},
        cred,
    )
    assert created == {"id": "10001", "key": "SEC-1", "url": f"{jira.url}/browse/SEC-1"}
    fields = jira.requests("POST", r"/rest/api/3/issue")[0].json["fields"]
    assert fields["issuetype"] == {"id": "10001"} and fields["description"]["type"] == "doc"
    assert len(fields["description"]["content"]) == 2
    comment = call("jira:jira-add-comment", {"issueKey": "SEC-1", "comment": "seen"}, cred)
    assert comment["key"] == "SEC-1"
    assert jira.requests("POST", r"/rest/api/3/issue/SEC-1/comment")[0].json["body"]["type"] == "doc"
    moved = call("jira:jira-transition-issue", {"issueKey": "SEC-1", "transition": "Done"}, cred)
    assert moved["id"] == "31"
    assert jira.requests("POST", r"/rest/api/3/issue/SEC-1/transitions")[0].json == {
        "transition": {"id": "31"}
    }
    found = call("jira:jira-jql-search", {"jql": "project = SEC"}, cred)
    assert found["total"] == 1 and found["issues"][0]["key"] == "SEC-1"
    with pytest.raises(ActionError, match="no transition 'Reopen'"):
        call("jira:jira-transition-issue", {"issueKey": "SEC-1", "transition": "Reopen"}, cred)
    with pytest.raises(ActionError, match="HTTP 404") as caught:
        call("jira:jira-add-comment", {"issueKey": "SEC-99", "comment": "x"}, cred)
    assert not caught.value.retryable


def test_credential_reference_default_and_missing(jira: StandIn) -> None:
    other = credential("other", "jira", default=False, url="http://127.0.0.1:9", token="x")
    fallback = credential("main", "jira", url=jira.url, token="t")
    created = call(
        "jira:jira-create-issue",
        {"connectionId": "gone", "project": "SEC", "issueType": "Bug", "summary": "s"},
        other,
        fallback,
    )
    assert created["key"] == "SEC-1"
    assert any("using the default jira credential 'main'" in line for line in call.logs)  # type: ignore[attr-defined]
    with pytest.raises(ActionError, match="no default jira credential"):
        call("jira:jira-create-issue", {"project": "SEC", "issueType": "Bug", "summary": "s"}, other)


def test_connection_refused_is_transient() -> None:
    cred = credential("j", "jira", url="http://127.0.0.1:9", token="t")
    with pytest.raises(ActionError) as caught:
        call("jira:jira-create-issue", {"project": "SEC", "issueType": "Bug", "summary": "s"}, cred)
    assert caught.value.retryable


def test_slack_webhook_and_bot_errors(slack: StandIn) -> None:
    hook = credential("hook", "slack", webhook_url=slack.url + "/services/T/B/X")
    assert call("slack:slack-send-message", {"message": "hi *there*"}, hook) == {"ts": None, "channel": None}
    assert slack.requests("POST", r"/services/.+")[0].json == {"text": "hi *there*"}
    bad = credential("bot", "slack", bot_token="wrong", api_url=slack.url + "/api")
    with pytest.raises(ActionError, match="invalid_auth") as caught:
        call("slack:slack-send-message", {"message": "x", "channel": "#a"}, bad)
    assert not caught.value.retryable
    bot = credential("bot", "slack", bot_token="xoxb-test", api_url=slack.url + "/api")
    sent = call(
        "slack:slack-send-message",
        {"message": "r", "channel": "#a", "appendToThread": True, "threadTs": "1.2"},
        bot,
    )
    assert sent["channel"] == "#a"
    assert slack.requests("POST", r"/api/chat\.postMessage")[-1].json["thread_ts"] == "1.2"


def test_teams_markdown_and_card(teams: StandIn) -> None:
    cred = credential("t", "msteams", webhook_url=teams.url + "/webhook/x")
    assert call("msteams:send-message", {"message": "**bold**"}, cred) == {"statusCode": 202}
    card = teams.requests("POST", r"/webhook/x")[0].json["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == "**bold**"
    call("msteams:send-message", {"card": '{"type": "AdaptiveCard", "version": "1.5", "body": []}'}, cred)
    assert teams.requests("POST", r"/webhook/x")[1].json["attachments"][0]["content"]["version"] == "1.5"


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_email_over_starttls_and_tls_with_login(tmp_path: Path, mode: str) -> None:
    with smtp_server(mode, tmp_path, login=("mailer", "s3cret")) as (mailbox, port):
        cred = credential(
            "mail",
            "smtp",
            host="127.0.0.1",
            port=port,
            security=mode,
            user="mailer",
            password="s3cret",
            ca_file=str(tmp_path / "cert.pem"),
            **{"from": "tl@example.com"},
        )
        sent = call(
            "email:send-email",
            {
                "to": ["a@example.com"],
                "cc": "c@example.com",
                "bcc": "b@example.com",
                "subject": "S",
                "content": "# Title\n\n*x*",
            },
            cred,
        )
        assert sent["recipients"] == ["a@example.com", "c@example.com", "b@example.com"]
        recipients, message = mailbox.messages[0]
        assert recipients == sent["recipients"] and message["From"] == "tl@example.com"
        assert "Bcc" not in message
        html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
        assert "<h1>Title</h1>" in html and "<em>x</em>" in html
        wrong = credential(
            "mail",
            "smtp",
            host="127.0.0.1",
            port=port,
            security=mode,
            user="mailer",
            password="nope",
            ca_file=str(tmp_path / "cert.pem"),
        )
        with pytest.raises(ActionError, match="login refused"):
            call("email:send-email", {"to": "a@example.com"}, wrong)


def test_http_function_signs_with_the_credential_secret() -> None:
    with serve(signed_receiver("hook-secret")) as receiver:
        good = credential("sig", "http", secret="hook-secret")
        out = call(
            "automations:http-function",
            {"url": receiver.url + "/hook", "method": "POST", "payload": {"a": 1}, "connectionId": "sig"},
            good,
        )
        assert out["statusCode"] == 200 and out["json"] == {"received": True}
        bad = credential("sig", "http", secret="other")
        with pytest.raises(ActionError, match="HTTP 401") as caught:
            call(
                "automations:http-function",
                {"url": receiver.url + "/hook", "method": "POST", "payload": "x", "connectionId": "sig"},
                bad,
            )
        assert not caught.value.retryable
        unchecked = call(
            "automations:http-function",
            {"url": receiver.url + "/hook", "method": "POST", "failOnResponseCodes": ""},
        )
        assert unchecked["statusCode"] == 401
        receiver.fail_next = [503]
        with pytest.raises(ActionError) as caught:
            call("automations:http-function", {"url": receiver.url + "/hook", "method": "POST"})
        assert caught.value.retryable


def test_javascript_sdk_module_and_logs() -> None:
    script = """
import { execution, actionExecution } from '@dynatrace-sdk/automation-utils';
export default async function ({ execution_id }) {
  const ex = await execution(execution_id);
  const n = (await ex.result('q')).n;
  console.log('n is', n, {n});
  return { n: n * 2, item: actionExecution().loopItem, id: execution_id };
}
"""
    out = call("dynatrace.automations:run-javascript", {"script": script}, item={"k": 1})
    assert out == {"n": 6, "item": {"k": 1}, "id": "exec-1"}
    assert call.logs == ['n is 3 {"n":3}']  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("while (true) {}", "time limit"),
        ("await null; while (true) {}", "time limit"),
        ("let a = []; while (true) { a.push(new Array(100000).fill(a.length)); }", "memory limit"),
        ("throw new Error('nope');", "Error: nope"),
        ("return typeof require + typeof fetch + typeof process;", None),
    ],
)
def test_javascript_limits_and_no_host_access(body: str, message: str | None) -> None:
    script = f"export default async function () {{ {body} }}"
    services = {
        "javascript_time": 1.0 if "while (true) {}" in body else 5.0,
        "javascript_memory": 32 * 1024 * 1024,
    }
    if message is None:
        assert (
            call("automations:run-javascript", {"script": script}, **services)
            == "undefinedundefinedundefined"
        )
        return
    with pytest.raises(ActionError, match=message):
        call("automations:run-javascript", {"script": script}, **services)


def test_javascript_refuses_other_modules() -> None:
    script = "import fs from 'node:fs';\nexport default async function () { return 1 }"
    with pytest.raises(ActionError, match="'node:fs' is not available"):
        call("automations:run-javascript", {"script": script})


def test_set_triage_status_calls_the_triage_operation() -> None:
    seen: list[Any] = []

    def triage(
        ids: list[str], *, status: str | None, assignee: str | None, comment: str | None, actor: str
    ) -> int:
        seen.append((ids, status, assignee, comment, actor))
        return len(ids)

    out = call(
        "threatlake:set-triage-status", {"findingIds": ["f1", "f2"], "status": "IN_PROGRESS"}, triage=triage
    )
    assert out == {"updated": 2} and seen == [(["f1", "f2"], "IN_PROGRESS", None, None, "workflow:wf-1")]
    with pytest.raises(ActionError, match="at least one"):
        call("threatlake:set-triage-status", {"findingIds": "f1"}, triage=triage)


def test_sleep_and_type_checks() -> None:
    assert call("automations:sleep", {"seconds": 0}) == {"slept": 0.0}
    with pytest.raises(ActionError, match="input 'seconds' must be int or float"):
        call("automations:sleep", {"seconds": "soon"})
