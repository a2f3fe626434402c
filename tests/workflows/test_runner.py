"""The runner: DAG order and parallelism, conditions, withItems with a concurrency cap, retries for transient
failures only, timeouts, unknown actions, and what the execution record keeps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from threatlake.workflows.actions import ACTIONS
from threatlake.workflows.actions.base import Action, ActionContext, Input, Services
from threatlake.workflows.definition import parse_workflow
from threatlake.workflows.errors import ActionError
from threatlake.workflows.runner import Runner, Trigger

CALLS: list[tuple[str, Any]] = []
ACTIVE = {"now": 0, "max": 0}
FAILURES: dict[str, list[ActionError]] = {}


async def _probe(inputs: dict[str, Any], context: ActionContext) -> Any:
    CALLS.append((context.task, inputs.get("value")))
    ACTIVE["now"] += 1
    ACTIVE["max"] = max(ACTIVE["max"], ACTIVE["now"])
    try:
        await asyncio.sleep(float(inputs.get("wait") or 0))
        pending = FAILURES.get(context.task) or []
        if pending:
            raise pending.pop(0)
        context.log(f"value {inputs.get('value')}")
        return {"value": inputs.get("value")}
    finally:
        ACTIVE["now"] -= 1


@pytest.fixture(autouse=True)
def probe_action() -> Any:
    ACTIONS["test:probe"] = Action("test:probe", "probe", (Input("value", object),), _probe)
    CALLS.clear()
    FAILURES.clear()
    ACTIVE.update(now=0, max=0)
    yield
    del ACTIONS["test:probe"]


def run(text: str, **services: Any) -> dict[str, Any]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    workflow = parse_workflow(text)
    saved: list[dict[str, Any]] = []
    runner = Runner(Services(sleep=sleep, **services), saved.append)
    record = asyncio.run(runner.run(workflow, "wf", Trigger())).to_json()
    record["_slept"] = slept
    record["_saves"] = len(saved)
    assert saved[0]["state"] == "RUNNING" and saved[-1]["state"] == record["state"]
    return record


def test_dag_runs_independent_tasks_in_parallel_and_passes_results() -> None:
    record = run("""
title: t
tasks:
  a: {action: test:probe, input: {value: 1, wait: 0.3}}
  b: {action: test:probe, input: {value: 2, wait: 0.3}}
  c:
    action: test:probe
    predecessors: [a, b]
    input: {value: "{{ result('a').value + result('b').value }}"}
""")
    assert record["state"] == "SUCCESS"
    assert record["tasks"]["c"]["result"] == {"value": 3}
    assert record["tasks"]["c"]["input"] == {"value": 3}
    assert CALLS[-1] == ("c", 3) and ACTIVE["max"] == 2
    assert record["tasks"]["a"]["log"] == ["value 1"] and record["tasks"]["a"]["runtime"] >= 0.3


def test_conditions_states_custom_and_else() -> None:
    FAILURES["a"] = [ActionError("boom")]
    record = run("""
title: t
tasks:
  a: {action: test:probe, input: {value: 1}}
  on_ok: {action: test:probe, predecessors: [a]}
  on_error: {action: test:probe, predecessors: [a], conditions: {states: {a: NOK}}}
  always: {action: test:probe, predecessors: [a], conditions: {states: {a: ANY}, custom: "{{ 1 > 2 }}"}}
  after_skip: {action: test:probe, predecessors: [on_ok], conditions: {states: {on_ok: SKIPPED}}}
""")
    states = {name: task["state"] for name, task in record["tasks"].items()}
    assert states == {
        "a": "ERROR",
        "on_ok": "SKIPPED",
        "on_error": "SUCCESS",
        "always": "SKIPPED",
        "after_skip": "SUCCESS",
    }
    assert record["state"] == "ERROR" and "boom" in record["stateInfo"]
    assert record["tasks"]["always"]["stateInfo"] == "custom condition is false"


def test_else_stop_cancels_the_rest() -> None:
    record = run("""
title: t
tasks:
  a: {action: test:probe}
  gate: {action: test:probe, predecessors: [a], conditions: {custom: "{{ false }}", else: STOP}}
  later: {action: test:probe, predecessors: [gate], conditions: {states: {gate: ANY}}}
""")
    assert (
        record["tasks"]["gate"]["state"] == "CANCELLED" and record["tasks"]["later"]["state"] == "CANCELLED"
    )
    assert record["state"] == "CANCELLED"


def test_with_items_respects_concurrency_and_keeps_order() -> None:
    record = run("""
title: t
input: {items: [1, 2, 3, 4, 5, 6]}
tasks:
  each:
    action: test:probe
    withItems: n in {{ input()['items'] }}
    concurrency: 2
    input: {value: "{{ n * 10 }}", wait: 0.05}
""")
    assert ACTIVE["max"] == 2
    assert record["tasks"]["each"]["result"] == [{"value": v} for v in (10, 20, 30, 40, 50, 60)]
    assert record["tasks"]["each"]["input"][0] == {"value": 10, "wait": 0.05}


def test_transient_failures_are_retried_with_backoff_terminal_ones_not() -> None:
    FAILURES["flaky"] = [ActionError("503", retryable=True), ActionError("503", retryable=True)]
    FAILURES["broken"] = [ActionError("400")]
    record = run("""
title: t
tasks:
  flaky: {action: test:probe, input: {value: 1}, retry: {count: 3, delay: 2}}
  broken: {action: test:probe, input: {value: 1}, retry: {count: 3, delay: 2}}
""")
    assert record["tasks"]["flaky"]["state"] == "SUCCESS" and record["tasks"]["flaky"]["retries"] == 2
    assert record["_slept"] == [2, 4]  # exponential backoff
    assert record["tasks"]["broken"]["state"] == "ERROR" and record["tasks"]["broken"]["retries"] == 0


def test_retries_exhausted_fail_with_the_error() -> None:
    FAILURES["flaky"] = [ActionError("HTTP 503", retryable=True) for _ in range(3)]
    record = run("title: t\ntasks:\n  flaky: {action: test:probe, retry: {count: 2, delay: 1}}\n")
    task = record["tasks"]["flaky"]
    assert task["state"] == "ERROR" and "HTTP 503 (after 3 attempts)" in task["stateInfo"]
    assert len(task["log"]) == 2


def test_one_failed_item_fails_the_task_but_not_its_neighbours() -> None:
    FAILURES["each"] = [ActionError("first item broke")]
    record = run("""
title: t
tasks:
  each: {action: test:probe, withItems: "n in {{ [1, 2, 3] }}", input: {value: "{{ n }}"}}
""")
    task = record["tasks"]["each"]
    assert task["state"] == "ERROR" and task["result"] == [None, {"value": 2}, {"value": 3}]
    assert "1 of 3 items failed" in task["stateInfo"]


def test_timeout_stops_a_task() -> None:
    record = run("title: t\ntasks:\n  slow: {action: test:probe, input: {wait: 30}, timeout: 1}\n")
    assert record["tasks"]["slow"]["state"] == "ERROR"
    assert record["tasks"]["slow"]["stateInfo"] == "timed out after 1 s"


def test_unknown_action_fails_clearly_when_it_runs() -> None:
    record = run("title: t\ntasks:\n  x: {action: dynatrace.davis.copilot:ask}\n")
    assert record["tasks"]["x"]["stateInfo"] == "action 'dynatrace.davis.copilot:ask' is not available here"
    assert record["state"] == "ERROR"


def test_missing_required_input_is_a_terminal_error() -> None:
    record = run("title: t\ntasks:\n  q: {action: dynatrace.automations:execute-dql-query, input: {}}\n")
    assert "input 'query' is required" in record["tasks"]["q"]["stateInfo"]
