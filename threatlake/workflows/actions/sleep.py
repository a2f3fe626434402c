"""``dynatrace.automations:sleep``: wait ``seconds`` (at most a day), e.g. between polling steps."""

from __future__ import annotations

import asyncio
from typing import Any

from threatlake.workflows.actions.base import Action, ActionContext, Input
from threatlake.workflows.errors import ActionError

__all__ = ["ACTION"]


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    seconds = float(inputs.get("seconds") or inputs.get("duration") or 0)
    if not 0 <= seconds <= 86_400:
        raise ActionError("seconds must be from 0 to 86400")
    await (context.services.sleep or asyncio.sleep)(seconds)
    return {"slept": seconds}


ACTION = Action(
    "automations:sleep", "Sleep", (Input("seconds", (int, float)), Input("duration", (int, float))), _run
)
