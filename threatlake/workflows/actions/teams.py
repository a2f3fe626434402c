"""``dynatrace.msteams:send-message``: a message to a Teams incoming webhook or a Power Automate workflow.

A ``msteams`` credential holds ``webhook_url``. ``message`` is Markdown, sent as an Adaptive Card with one
text block; ``card`` (an Adaptive Card as a mapping or JSON text) is sent as given. Output ``{statusCode}``.
"""

from __future__ import annotations

from typing import Any

import orjson

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


def _card(inputs: dict[str, Any]) -> dict[str, Any]:
    card = inputs.get("card")
    if isinstance(card, str) and card.strip():
        try:
            card = orjson.loads(card)
        except orjson.JSONDecodeError as error:
            raise ActionError(f"input 'card' is not JSON: {error}") from None
    if isinstance(card, dict):
        return card
    if not inputs.get("message"):
        raise ActionError("give 'message' (Markdown) or 'card' (an Adaptive Card)")
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": str(inputs["message"]), "wrap": True}],
    }


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    fields = require_credential(context, inputs, "msteams").fields
    payload = {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": _card(inputs)}],
    }
    async with context.services.client() as client:
        request = client.build_request("POST", str(fields.get("webhook_url", "")), json=payload)
        response = await send(client, "Teams", request)
    context.log(f"Teams → {response.status_code}")
    if response.status_code >= 400:
        raise response_error("Teams", response)
    return {"statusCode": response.status_code}


ACTION = Action(
    "msteams:send-message",
    "Microsoft Teams: send message",
    (
        Input("connection", str, False, "the msteams credential (else the default one)"),
        Input("message", str),
        Input("card", (str, dict)),
    ),
    _run,
)
