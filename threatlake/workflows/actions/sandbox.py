"""The child process that runs one JavaScript task in V8 (mini-racer), started by ``javascript.py``.

Reads ``{code, results, item, execution_id, task, memory, time}`` as JSON on stdin and writes
``{result, logs}`` or ``{error, logs}`` on stdout. V8 has no file or network API, and mini-racer grants none;
the heap has a hard limit. The parent kills this process when the time limit passes, because a loop that
runs after an ``await`` cannot be interrupted from inside an embedding that is waiting on the promise.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

__all__ = ["PRELUDE", "main", "module_body"]

#: The SDK calls templates use, as the commercial product's ``@dynatrace-sdk/automation-utils`` offers them.
PRELUDE = """
const __logs = [];
const __fmt = (a) => a.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ");
globalThis.console = {log: (...a) => __logs.push(__fmt(a)), info: (...a) => __logs.push(__fmt(a)),
  warn: (...a) => __logs.push(__fmt(a)), error: (...a) => __logs.push(__fmt(a)), debug: () => {}};
const __results = JSON.parse(__input.results);
const execution = (id) => ({id: __input.execution_id, result: (name) => __results[name]});
const actionExecution = (id) => ({id: __input.execution_id + "/" + __input.task, loopItem: __input.item});
const getCurrentExecution = execution;
"""
_IMPORT = re.compile(r"""^\s*import\s+(?:[\w*{}\s,]+\s+from\s+)?["']([^"']+)["'];?\s*$""", re.MULTILINE)
_SDK = ("@dynatrace-sdk/automation-utils", "@dynatrace-sdk/client-automation")


def module_body(code: str) -> str:
    """An ES module as a script: SDK imports dropped (the prelude provides them), the default export bound."""
    for match in _IMPORT.finditer(code):
        if match.group(1) not in _SDK:
            raise ValueError(f"module {match.group(1)!r} is not available here (only {', '.join(_SDK)})")
    body = _IMPORT.sub("", code)
    body, count = re.subn(r"\bexport\s+default\s+", "globalThis.__main = ", body, count=1)
    if not count:
        raise ValueError("the script needs 'export default async function () { ... }'")
    return body


def main() -> None:
    from py_mini_racer import JSEvalException, JSOOMException, JSPromise, JSTimeoutException, MiniRacer

    request = json.load(sys.stdin)
    out: dict[str, Any]
    context = MiniRacer()
    context.set_hard_memory_limit(int(request["memory"]))
    milliseconds = float(request["time"]) * 1000
    try:
        context.eval("globalThis.__input = " + json.dumps(request) + ";", timeout=milliseconds)
        context.eval(PRELUDE + module_body(request["code"]), timeout=milliseconds)
        promise = context.eval(
            "Promise.resolve(__main({execution_id: __input.execution_id, action_execution_id: __input.task}))"
            ".then((v) => JSON.stringify({result: v === undefined ? null : v, logs: __logs}),"
            " (e) => JSON.stringify({error: String((e && e.stack) || e), logs: __logs}))",
            timeout=milliseconds,
        )
        if not isinstance(promise, JSPromise):
            raise ValueError("the default export did not give a promise")
        out = json.loads(str(promise.get(timeout=float(request["time"]))))
    except JSOOMException:
        out = {"error": f"memory limit of {request['memory']} bytes reached", "limit": True}
    except JSTimeoutException:
        out = {"error": f"time limit of {request['time']} s reached", "limit": True}
    except (JSEvalException, ValueError) as error:
        out = {"error": str(error)}
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()
    # Skip interpreter teardown: V8 can hang freeing an isolate that hit its heap limit.
    os._exit(0)


if __name__ == "__main__":
    main()
