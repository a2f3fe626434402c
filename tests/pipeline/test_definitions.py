"""Pipeline definitions: YAML → dataclasses, and every problem located (YAML position and DQL position)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threatlake.errors import ConfigError
from threatlake.pipeline.definitions import (
    Drop,
    FieldsAdd,
    FieldsRemove,
    FieldsRename,
    Filter,
    PipelineError,
    Position,
    Route,
    parse_pipeline,
)
from threatlake.pipeline.processors import compile_pipeline, load_pipeline

PROD = """\
name: prod
description: the built-in endpoint
endpoint: builtin
processors:
  - type: filter
    condition: event.type == "VULNERABILITY_FINDING"
  - type: drop
    condition: dt.security.risk.level == "NONE"
  - type: fieldsAdd
    fields:
      team: lower(aws.account.id)
  - type: fieldsRemove
    fields: ["aws.resource.*", dt.raw_data]
  - type: fieldsRename
    fields: {owner: team}
  - type: route
    condition: aws.account.id == "123456789012"
    bucket: long_retention
"""


def problems(text: str, name: str | None = None) -> list[str]:
    with pytest.raises(PipelineError) as caught:
        load_pipeline(text, "pipelines/prod.yaml", name=name)
    return [str(problem) for problem in caught.value.problems]


def test_reads_every_processor_type() -> None:
    p = parse_pipeline(PROD, "pipelines/prod.yaml")
    assert (p.name, p.endpoint, p.description) == ("prod", "builtin", "the built-in endpoint")
    kinds = [type(x) for x in p.processors]
    assert kinds == [Filter, Drop, FieldsAdd, FieldsRemove, FieldsRename, Route]
    assert p.processors[0].position == Position("pipelines/prod.yaml", 5, 5)
    assert isinstance(p.processors[3], FieldsRemove) and p.processors[3].names == (
        "aws.resource.*",
        "dt.raw_data",
    )
    assert isinstance(p.processors[4], FieldsRename) and p.processors[4].renames == (("owner", "team"),)
    assert isinstance(p.processors[5], Route) and p.processors[5].bucket == "long_retention"
    assert compile_pipeline(p).sql is not None


def test_json_is_accepted_and_name_may_come_from_outside() -> None:
    p = parse_pipeline('{"processors": [{"type": "drop", "condition": "true"}]}', name="x")
    assert p.name == "x" and p.endpoint == "builtin" and isinstance(p.processors[0], Drop)


# fmt: off
CASES = [
    ("name: prod\nprocessors:\n  - type: drop\n    condition: lowr(event.type) == \"x\"\n",
     ["pipelines/prod.yaml:4:16: processors[0].condition: Unknown function 'lowr' at line 1, column 1;"
      " did you mean 'lower'?"]),
    ("name: prod\nprocessors:\n  - type: filter\n    condition: |\n      event.type ==\n        and\n",
     ["pipelines/prod.yaml:4:16: processors[0].condition: Unexpected keyword 'and' at line 2, column 3"]),
    ("name: prod\nprocessors:\n  - {type: filter, condition: 'finding.score + 1'}\n",
     ["pipelines/prod.yaml:3:31: processors[0].condition: Expected a boolean condition but found double"
      " at line 1, column 15"]),
    ("name: prod\nprocessors:\n  - {type: fieldsAdd, fields: {finding.score: '\"high\"'}}\n",
     ["pipelines/prod.yaml:3:47: processors[0].fields.finding.score: Field 'finding.score' holds a double"
      " but the value is a string"]),
    ("name: prod\nprocessors:\n  - type: dorp\n    condition: 'true'\n",
     ["pipelines/prod.yaml:3:11: processors[0].type: Unknown processor type 'dorp'; expected one of drop,"
      " filter, fieldsAdd, fieldsRemove, fieldsRename, route"]),
    ("name: prod\nprocessors:\n  - type: drop\n",
     ["pipelines/prod.yaml:3:5: processors[0].condition: Missing a DQL expression"]),
    ("name: prod\nprocessors:\n  - {type: route, condition: 'true', bucket: 'no spaces'}\n",
     ["pipelines/prod.yaml:3:46: processors[0].bucket: Invalid bucket name 'no spaces': 1 to 100 letters,"
      " digits, '.', '_' or '-'"]),
    ("name: prod\nprocessors:\n  - {type: drop, condition: 'true', bucket: b}\n",
     ["pipelines/prod.yaml:3:45: processors[0].bucket: A drop processor has no 'bucket'"]),
    ("name: prod\nprocessors:\n  - {type: fieldsRemove, fields: [event.id]}\n",
     ["pipelines/prod.yaml:3:35: processors[0].fields[0]: Field 'event.id' cannot be removed"]),
    ("name: prod\nprocessors:\n  - {type: fieldsRemove, fields: ['*']}\n",
     ["pipelines/prod.yaml:3:35: processors[0].fields[0]: Field 'dt.system.bucket' cannot be removed"]),
    ("name: prod\nprocessors:\n  - {type: fieldsRename, fields: {timestamp: x}}\n",
     ["pipelines/prod.yaml:3:35: processors[0].fields: Field 'timestamp' cannot be renamed"]),
    ("name: prod\nprocessors:\n  - {type: fieldsAdd, fields: {}}\n",
     ["pipelines/prod.yaml:3:31: processors[0].fields: Expected a mapping new.name: <DQL expression>"]),
    ("name: prod\nendpont: x\n",
     ["pipelines/prod.yaml:2:1: endpont: Unknown key 'endpont'; expected one of name, description, endpoint,"
      " processors"]),
    ("name: other\n", ["pipelines/prod.yaml:1:7: name: The name 'other' does not match 'prod'"]),
    ("name: [prod\n", ["pipelines/prod.yaml:2:1: Invalid YAML: expected ',' or ']', but got '<stream end>'"]),
    ("", ["pipelines/prod.yaml:1:1: Empty pipeline definition"]),
    ("- a\n",
     ["pipelines/prod.yaml:1:1: Expected a mapping with keys name, description, endpoint, processors"]),
]
# fmt: on


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_problems_are_located(text: str, expected: list[str]) -> None:
    assert problems(text, name="prod") == expected


def test_every_problem_is_reported_at_once() -> None:
    text = (
        "name: prod\nprocessors:\n"
        "  - {type: drop, condition: 'lowr(x)'}\n"
        "  - {type: filter}\n"
        "  - {type: fieldsAdd, fields: {a: 'b +'}}\n"
    )
    found = problems(text)  # the structure's problem and the DQL's of the processors around it, in file order
    assert [line.split(": ", 2)[:2] for line in found] == [
        ["pipelines/prod.yaml:3:29", "processors[0].condition"],
        ["pipelines/prod.yaml:4:5", "processors[1].condition"],
        ["pipelines/prod.yaml:5:35", "processors[2].fields.a"],
    ]
    found = problems(text.replace("  - {type: filter}\n", ""))
    assert [line.split(": ", 2)[1] for line in found] == ["processors[0].condition", "processors[1].fields.a"]


def test_problem_details_for_the_api() -> None:
    with pytest.raises(PipelineError) as caught:
        text = "name: p\nprocessors:\n  - {type: drop, condition: 'a =='}"
        compile_pipeline(parse_pipeline(text, "p.yaml"))
    assert caught.value.problems[0].as_dict() == {
        "source": "p.yaml",
        "line": 3,
        "column": 29,
        "path": "processors[0].condition",
        "message": "Unexpected end of query: expected an expression at line 1, column 5",
        "queryLine": 1,
        "queryColumn": 5,
    }
    assert isinstance(caught.value, ConfigError)


# -- any input fails only with the documented error ------------------------------------------------------

_DQL = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            [
                "event.type",
                "==",
                '"x"',
                "(",
                ")",
                "and",
                "lower(",
                "not",
                "1",
                "finding.score",
                "+",
                "null",
                "if(",
                ",",
                "else:",
                "[",
                "]",
                "true",
                "concat(",
                "@",
                "-1d",
                "now()",
                "extra",
                "`a b`",
            ]
        ),
        max_size=12,
    ).map(" ".join),
)
_PROCESSOR = st.fixed_dictionaries(
    {"type": st.sampled_from(["drop", "filter", "fieldsAdd", "fieldsRemove", "fieldsRename", "route", "x"])},
    optional={
        "condition": _DQL,
        "bucket": st.text(max_size=10),
        "fields": st.one_of(
            st.dictionaries(st.sampled_from(["a", "finding.score", "event.id", "x.y", ""]), _DQL, max_size=3),
            st.lists(st.text(max_size=8), max_size=3),
            _DQL,
        ),
    },
)


def _dump(value: object) -> str:
    import json

    return json.dumps(value)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(_PROCESSOR, max_size=4).map(lambda ps: _dump({"name": "p", "processors": ps})),
    )
)
def test_any_input_raises_only_pipeline_error(text: str) -> None:
    try:
        compile_pipeline(parse_pipeline(text, "p.yaml"))
    except PipelineError as error:
        assert error.problems and all(p.position.line >= 1 for p in error.problems)
