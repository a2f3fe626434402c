"""The sandboxed expressions: whole values, the platform's functions and filters, data never evaluated."""

from __future__ import annotations

from typing import Any

import pytest

from threatlake.workflows.errors import ActionError
from threatlake.workflows.expressions import Scope, is_true, render, render_value

RECORDS = [{"finding.title": "{{ 7*7 }}", "n": 2}, {"finding.title": "{% for x in y %}", "n": 3}]


def variables(**extra: Any) -> dict[str, Any]:
    scope = Scope(
        results={"q": {"records": RECORDS}, "fix-json": {"a": 1}},
        execution={"id": "e1", "workflow": {"id": "w1", "title": "T"}},
        event={"finding.id": "f-9"},
        inputs={"project": "SEC"},
        environment={"url": "http://tl"},
    )
    return scope.variables("task1", ("item", {"k": "v"})) | extra


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ result('q').records }}", RECORDS),
        ("  {{ result('q').records | length }}  ", 2),
        ("{{ result('q').records | length > 0 }}", True),
        ('{{ result("fix-json").a }}', 1),
        ("{{ result('q').records[0]['finding.title'] }}!", "{{ 7*7 }}!"),
        (
            "{% for r in result('q').records %}[{{ r['finding.title'] }}]{% endfor %}",
            "[{{ 7*7 }}][{% for x in y %}]",
        ),
        ("{{ event()['finding.id'] }} {{ input().project }} {{ environment().url }}", "f-9 SEC http://tl"),
        ("{{ execution().workflow.title }}/{{ task().name }}/{{ _.item.k }}/{{ item.k }}", "T/task1/v/v"),
        ("{{ result('q').records | map(attribute='n') | join(',') }}", "2,3"),
        ("{{ {'a': 1} | to_json }}", '{"a":1}'),
        ("{{ '[1, 2]' | from_json | last }}", 2),
        ("{{ '%s-%d' | format('a', 3) | upper }}", "A-3"),
        ("{{ 'abcdef' | truncate(5, True, '', 0) }}", "abcde"),
        ("{{ result('missing') }}", None),
        ("{{ {'a': 1}.get('b', 'x') }}", "x"),
        (
            "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}"
            "{{ ns.n }}",
            "3",
        ),
        ("{{ a }} {{ b }}", " "),
        ("{# note #}{{- '  x  ' | trim -}}", "x"),
        ("no template", "no template"),
    ],
)
def test_render(template: str, expected: Any) -> None:
    assert render(template, variables()) == expected


def test_finding_data_is_never_evaluated_even_nested() -> None:
    data = {"summary": "{{ result('q').records[0]['finding.title'] }}", "list": ["{{ 1 + 1 }}"]}
    assert render_value(data, variables()) == {"summary": "{{ 7*7 }}", "list": [2]}


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{% set x = [] %}{{ x.append(1) }}",
        "{{ range(1000000) | list }}",
        "{{ result('q').records.__init__.__globals__ }}",
    ],
)
def test_sandbox_refuses_tricks(template: str) -> None:
    try:
        value = render(template, variables())
    except ActionError as error:
        assert "sandbox" in str(error) or "expression" in str(error)
    else:
        assert value in (None, "")  # an unsafe attribute is undefined, never the object


def test_conditions_truth() -> None:
    assert is_true(True) and is_true("yes") and is_true([1])
    assert not any(is_true(v) for v in (False, "false", "False", "0", "", [], None))
