"""Reading workflow documents: the format's variations, round trips, and located validation errors."""

from __future__ import annotations

import orjson
import pytest

from threatlake.workflows.actions import ACTIONS
from threatlake.workflows.definition import parse_workflow
from threatlake.workflows.document import dump_yaml, read_document
from threatlake.workflows.errors import DefinitionError

EXPORT = """\
metadata:
  version: "1"
  trackingId: 7f1e
  dependencies:
    apps: [{id: dynatrace.automations, version: ^1.0.0}]
  inputs: []
workflow:
  title: Export from the product
  type: SIMPLE
  hourlyExecutionLimit: 1000
  guide: "# Read me"
  input: {}
  result: null
  tasks:
    fix-json:
      name: fix-json
      action: dynatrace.automations:run-javascript
      active: true
      customSampleResult: {a: 1}
      input: {script: "export default async function () { return 1 }"}
      position: {x: 0, y: 1}
      predecessors: []
      conditions: null
    use_it:
      name: use_it
      action: dynatrace.automations:sleep
      input:
        seconds: 0
        earliestStart: 2024-04-10
        at: 08:00
      predecessors: [fix-json]
      conditions: {states: {fix-json: SUCCESS}, custom: ''}
    on_failure:
      action: dynatrace.automations:sleep
      predecessors: [fix-json]
      conditions: {states: {fix-json: NOK}, else: STOP}
  trigger:
    eventTrigger:
      isActive: true
      filterQuery: event.type == "DETECTION_FINDING"
      triggerConfiguration:
        type: event
        value:
          eventType: security.events
          query: event.type == "DETECTION_FINDING"
          uniqueExpression: "{{ event()['finding.id'] }}"
  schemaVersion: 4
  someFutureKey: {kept: true}
"""


def test_real_export_variations_import() -> None:
    workflow = parse_workflow(EXPORT)
    assert list(workflow.tasks) == ["fix-json", "use_it", "on_failure"]
    use_it = workflow.tasks["use_it"]
    assert use_it.input["earliestStart"] == "2024-04-10"  # not a date
    assert use_it.input["at"] == "08:00"  # not sexagesimal 480
    assert use_it.conditions.states == {"fix-json": "SUCCESS"}
    assert workflow.tasks["on_failure"].conditions.states == {"fix-json": "ERROR"}
    assert workflow.tasks["on_failure"].conditions.otherwise == "STOP"
    assert workflow.event_trigger is not None
    assert workflow.event_trigger.unique_expression == "{{ event()['finding.id'] }}"


def test_unknown_keys_round_trip_through_yaml_and_json() -> None:
    workflow = parse_workflow(EXPORT)
    again = parse_workflow(dump_yaml(workflow.document))
    assert again.document == workflow.document
    assert again.document["workflow"]["someFutureKey"] == {"kept": True}
    assert again.document["metadata"]["trackingId"] == "7f1e"
    as_json = parse_workflow(orjson.dumps(workflow.document))
    assert as_json.document == workflow.document
    assert "08:00" in dump_yaml(workflow.document)


def test_unknown_action_is_kept_with_a_warning() -> None:
    text = "title: t\ntasks:\n  a:\n    action: dynatrace.site.reliability.guardian:validate\n"
    workflow = parse_workflow(text, known_actions=frozenset(ACTIONS))
    assert workflow.tasks["a"].action == "dynatrace.site.reliability.guardian:validate"
    assert "not available here" in workflow.warnings[0]


@pytest.mark.parametrize(
    ("text", "task", "path", "line"),
    [
        ("title: t\ntasks:\n  a:\n    input: {}\n", "a", "tasks.a.action", 3),
        ("title: t\ntasks:\n  a:\n    action: x\n    retry: {count: many}\n", "a", "tasks.a.retry", 5),
        ("title: t\ntasks:\n  a:\n    action: x\n    predecessors: [b]\n", "a", "tasks.a.predecessors", 5),
        ("title: t\ntasks:\n  a:\n    action: x\n    withItems: items\n", "a", "tasks.a.withItems", 5),
        (
            "title: t\ntasks:\n  a:\n    action: x\n    conditions: {states: {a: MAYBE}}\n",
            "a",
            "tasks.a.conditions",
            5,
        ),
        (
            "workflow:\n  title: t\n  tasks:\n    a:\n      action: x\n      timeout: -1\n",
            "a",
            "tasks.a.timeout",
            6,
        ),
        (
            "title: t\ntasks: {}\ntrigger:\n  schedule:\n    trigger: {type: cron, cron: '61 * * * *'}\n",
            "",
            "trigger.schedule.trigger.cron",
            5,
        ),
        (
            "title: t\ntasks: {}\ntrigger:\n  schedule:\n    trigger: {type: time, time: '9am'}\n"
            "    timezone: Mars/Base\n",
            "",
            "trigger.schedule.timezone",
            6,
        ),
    ],
)
def test_errors_name_task_key_and_line(text: str, task: str, path: str, line: int) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_workflow(text)
    problems = {(p.task, p.path, p.line) for p in caught.value.problems}
    assert (task, path, line) in problems, caught.value.problems


def test_a_cycle_is_refused() -> None:
    text = "title: t\ntasks:\n  a: {action: x, predecessors: [b]}\n  b: {action: x, predecessors: [a]}\n"
    with pytest.raises(DefinitionError, match="depend on each other"):
        parse_workflow(text)


def test_yaml_syntax_error_has_its_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        read_document("title: t\ntasks:\n  a: [unclosed\n")
    assert caught.value.problems[0].line >= 3


def test_only_true_and_false_are_booleans() -> None:
    assert read_document("a: yes\nb: on\nc: true\nd: 1:30\n").value == {
        "a": "yes",
        "b": "on",
        "c": True,
        "d": "1:30",
    }
