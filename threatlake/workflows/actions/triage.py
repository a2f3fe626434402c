"""``threatlake:set-triage-status``: set status, assignee and/or a comment on findings (auto-triage).

``findingIds`` is a list of ``finding.id`` values (or one); at least one of ``status``, ``assignee``,
``comment`` must be given. Output ``{updated}``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from threatlake.errors import ThreatlakeError
from threatlake.workflows.actions.base import Action, ActionContext, Input
from threatlake.workflows.errors import ActionError

__all__ = ["ACTION"]


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    triage = context.services.triage
    if triage is None:
        raise ActionError("triage is not available here")
    ids = inputs["findingIds"]
    ids = [str(i) for i in (ids if isinstance(ids, list) else [ids]) if i]
    status, assignee, comment = (inputs.get(k) or None for k in ("status", "assignee", "comment"))
    if not (status or assignee or comment):
        raise ActionError("give at least one of status, assignee, comment")
    try:
        updated = await asyncio.to_thread(
            triage,
            ids,
            status=status,
            assignee=assignee,
            comment=comment,
            actor=f"workflow:{context.workflow_id}",
        )
    except ThreatlakeError as error:
        raise ActionError(f"triage: {error}", retryable=error.retryable) from None
    return {"updated": updated}


ACTION = Action(
    "threatlake:set-triage-status",
    "Set triage status",
    (
        Input("findingIds", (list, str), True, "finding ids"),
        Input("status", str),
        Input("assignee", str),
        Input("comment", str),
    ),
    _run,
)
