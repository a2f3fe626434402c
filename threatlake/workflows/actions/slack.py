"""``dynatrace.slack:slack-send-message``: a message through an incoming webhook or ``chat.postMessage``.

A ``slack`` credential holds a ``webhook_url`` or a ``bot_token`` (and optionally ``api_url``, the Web API
base, ``https://slack.com/api`` by default). ``message`` is Slack mrkdwn; ``channel`` is needed with a bot
token; ``appendToThread`` with ``threadTs`` replies in a thread. Output ``{ts, channel}`` (webhooks return
neither).
"""

from __future__ import annotations

from typing import Any

from threatlake.workflows.actions.base import (
    Action,
    ActionContext,
    Input,
    require_credential,
    response_error,
    send,
)
from threatlake.workflows.errors import ActionError

__all__ = ["ACTION"]

_RETRYABLE = {"ratelimited", "service_unavailable", "internal_error", "fatal_error", "request_timeout"}


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    fields = require_credential(context, inputs, "slack").fields
    body: dict[str, Any] = {"text": str(inputs["message"])}
    if inputs.get("channel"):
        body["channel"] = str(inputs["channel"])
    if inputs.get("blocks"):
        body["blocks"] = inputs["blocks"]
    if inputs.get("appendToThread") and inputs.get("threadTs"):
        body["thread_ts"] = str(inputs["threadTs"])
    async with context.services.client() as client:
        if fields.get("bot_token"):
            if "channel" not in body:
                raise ActionError("input 'channel' is required with a bot token")
            url = str(fields.get("api_url") or "https://slack.com/api").rstrip("/") + "/chat.postMessage"
            headers = {"Authorization": f"Bearer {fields['bot_token']}"}
            request = client.build_request("POST", url, json=body, headers=headers)
        else:
            request = client.build_request("POST", str(fields.get("webhook_url", "")), json=body)
        response = await send(client, "Slack", request)
    context.log(f"Slack → {response.status_code}")
    if response.status_code >= 400:
        raise response_error("Slack", response)
    if not fields.get("bot_token"):
        return {"ts": None, "channel": body.get("channel")}
    answer = response.json()
    if not answer.get("ok"):
        error = str(answer.get("error"))
        raise ActionError(f"Slack chat.postMessage: {error}", retryable=error in _RETRYABLE)
    return {"ts": answer.get("ts"), "channel": answer.get("channel")}


ACTION = Action(
    "slack:slack-send-message",
    "Slack: send message",
    (
        Input("connection", str, False, "the slack credential (else the default one)"),
        Input("channel", str),
        Input("message", str, True, "the message (mrkdwn)"),
        Input("appendToThread", bool),
        Input("threadTs", str),
        Input("blocks", list),
    ),
    _run,
)
