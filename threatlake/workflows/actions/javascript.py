"""``dynatrace.automations:run-javascript``: the task's JavaScript in V8, in a child process with limits.

The script is an ES module (``export default async function ({execution_id}) {...}``);
``execution().result(name)`` and ``actionExecution().loopItem`` are provided, ``console.log`` lines go to the
task's log. There is no file or network access. The heap is capped (``Services.javascript_memory``) and the
run is killed after ``Services.javascript_time`` seconds; both are reported as the task's error.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from threatlake.workflows.actions.base import Action, ActionContext, Input
from threatlake.workflows.errors import ActionError
from threatlake.workflows.expressions import jsonable

__all__ = ["ACTION"]

_MAX_OUTPUT = 10_000_000


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    limit = context.services.javascript_time
    request = {
        "code": inputs["script"],
        "results": json.dumps(jsonable(context.results)),
        "item": jsonable(context.item),
        "execution_id": context.execution_id,
        "task": context.task,
        "memory": context.services.javascript_memory,
        "time": limit,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-I", "-m", "threatlake.workflows.actions.sandbox",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        # Interpreter start-up is not the script's time: allow it a few seconds on a loaded machine.
        stdout, stderr = await asyncio.wait_for(process.communicate(json.dumps(request).encode()), limit + 5)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ActionError(f"JavaScript stopped: time limit of {limit:g} s reached") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if len(stdout) > _MAX_OUTPUT:
        raise ActionError(f"JavaScript result over {_MAX_OUTPUT} bytes")
    try:
        out = json.loads(stdout)
    except ValueError:
        raise ActionError(f"JavaScript sandbox failed: {stderr.decode(errors='replace')[-500:]}") from None
    for line in out.get("logs") or []:
        context.log(str(line))
    if "error" in out:
        prefix = "JavaScript stopped: " if out.get("limit") else "JavaScript error: "
        raise ActionError(prefix + str(out["error"])[:2000])
    return out.get("result")


ACTION = Action(
    "automations:run-javascript",
    "Run JavaScript",
    (Input("script", str, True, "an ES module with a default async function"),),
    _run,
)
