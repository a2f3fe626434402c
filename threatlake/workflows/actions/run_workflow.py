"""``dynatrace.automations:run-workflow``: run another workflow (by id or title) and wait for its result.

``workflowId`` names it; ``input`` becomes its ``input()``. The child execution's id and state are the output;
a child that ends in ERROR fails this task.
"""

from __future__ import annotations

from typing import Any

from threatlake.workflows.actions.base import Action, ActionContext, Input
from threatlake.workflows.errors import ActionError

__all__ = ["ACTION"]


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    target = str(inputs["workflowId"])
    if target == context.workflow_id:
        raise ActionError("a workflow cannot run itself")
    child = await context.services.run_workflow(target, dict(inputs.get("input") or {}))
    context.log(f"execution {child['id']} of workflow {target}: {child['state']}")
    if child["state"] != "SUCCESS":
        raise ActionError(f"workflow {target} ended {child['state']}: {child.get('stateInfo') or ''}")
    return {"executionId": child["id"], "state": child["state"], "result": child.get("result")}


ACTION = Action(
    "automations:run-workflow",
    "Run workflow",
    (Input("workflowId", str, True, "the id or title of the workflow to run"), Input("input", dict)),
    _run,
)
