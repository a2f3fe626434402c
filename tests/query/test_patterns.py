"""``parse`` patterns beyond "JSON:name" and ``fieldsFlatten`` (issue 10, class 3)."""

# ruff: noqa: E501  (DQL queries and expected messages read best on one line)
from __future__ import annotations

from datetime import datetime

import pytest

from threatlake.errors import QueryError
from threatlake.query import compile_query

from .conftest import Run

F = "fetch security.events | sort event.id"
LOG = '"10.1.2.3 - [GET] /setup.php 404 2.5"'


def test_sequence_pattern_exports_typed_fields(run: Run) -> None:
    (row,) = run(
        F
        + f" | limit 1 | parse {LOG}, \"IPADDR:ip ' - [' WORD:method '] ' LD:path SPACE INT:status SPACE DOUBLE:took\" | fields ip, method, path, status, took"
    )
    assert row == {"ip": "10.1.2.3", "method": "GET", "path": "/setup.php", "status": "404", "took": 2.5}


def test_sequence_that_does_not_match_gives_nulls(run: Run) -> None:
    rows = run(
        F
        + " | limit 3 | parse finding.title, \"'Finding ' INT:n ' about ' LD:rest\" | fields event.id, n, rest"
    )
    assert rows == [
        {"event.id": "e00", "n": "0", "rest": "Port Probe"},
        {"event.id": "e01", "n": None, "rest": None},  # "finding 1": lower-case, no match
        {"event.id": "e02", "n": None, "rest": None},
    ]


def test_timestamp_and_optional_matchers(run: Run) -> None:
    (row,) = run(
        F
        + " | limit 1 | parse \"2026-03-04T05:06:07Z up\", \"TIMESTAMP('yyyy-MM-dd\\'T\\'HH:mm:ssZ'):t SPACE? LD:m\" | fields t, m"
    )
    assert row == {"t": "2026-03-04T05:06:07.000000000Z", "m": "up"}


def test_json_members_flat_record_and_arrays(run: Run) -> None:
    (flat,) = run(
        F
        + ' | limit 1 | parse dt.raw_data, "JSON{STRING:id, INT:severity, JSON:resource}(flat=true)" | fields id, severity, t = resource[type]'
    )
    assert flat == {"id": "f0", "severity": "0", "t": "Instance"}
    (rec,) = run(
        F
        + ' | limit 1 | parse dt.raw_data, "JSON{STRING:id, DOUBLE:severity}:r" | fields r, s = r[severity] + 0.5'
    )
    assert rec == {"r": {"id": "f0", "severity": 0.0}, "s": 0.5}
    (arr,) = run(
        F
        + ' | limit 1 | parse "[80, 443, \\"x\\"]", "JSON_ARRAY{INT}(typed=true):ports" | parse "[1, \\"a\\"]", "JSON_ARRAY:any" | fields ports, any'
    )
    assert arr == {"ports": ["80", "443", None], "any": ["1", "a"]}  # "x" is no long: that element is null
    (ok,) = run(
        F
        + ' | limit 1 | parse "[80, 443]", "JSON_ARRAY{INT}(typed=true):ports" | fields n = arraySize(ports), p = ports[1]'
    )
    assert ok == {"n": "2", "p": "443"}


def test_json_object_pattern_is_null_for_other_json(run: Run) -> None:
    (row,) = run(F + ' | limit 1 | parse "[1]", "JSON:a" | parse "{\\"k\\": 1}", "JSON:b" | fields a, b')
    assert row == {"a": None, "b": {"k": "1"}}


@pytest.mark.parametrize(
    ("pattern", "reason", "column"),
    [
        ('"KVP{LD:a}:x"', "Unsupported pattern matcher 'KVP'", 37),
        ('"INT:n JSON:x"', "JSON must be the whole pattern", 43),
        ('"INT"', "The pattern exports no field; name one, like INT:count", 37),
        ('"INT:n (LD)"', "Unexpected '(' in the pattern", 43),
        (
            "\"TIMESTAMP('yyyy-QQ'):t\"",
            "Unsupported timestamp format letter 'Q' (quote literal text: 'Q')",
            37,
        ),
        ('"JSON{STRING:a}(deep=true)"', "Unsupported option 'deep' for JSON", 52),
        (
            '"JSON{JSON{INT:b}:a}:x"',
            "Nested member lists are not supported; read nested members with [key]",
            42,
        ),
        ('"""INT:a LD:b SPACE STRING:c"""', "STRING is only supported inside JSON{…}", 56),
    ],
)
def test_pattern_errors_point_inside_the_pattern(pattern: str, reason: str, column: int) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(f'fetch security.events | parse "x", {pattern}', now=datetime(2026, 1, 1))
    assert (info.value.reason, info.value.line, info.value.column) == (reason, 1, column)


def test_fields_flatten_dynamic_record(run: Run) -> None:
    rows = run(
        F
        + ' | limit 2 | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw | fields event.id, raw.severity, raw.resource'
    )
    assert rows == [
        {"event.id": "e00", "raw.severity": "0", "raw.resource": {"type": "Instance"}},
        {"event.id": "e01", "raw.severity": "1", "raw.resource": {"type": "Instance"}},
    ]
    deep = run(
        F
        + ' | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, depth:2, prefix:"r_" | filter r_severity > 6 | fields event.id, r_resource.type'
    )
    assert deep == [
        {"event.id": e, "r_resource.type": "Instance"} for e in ("e07", "e08", "e16", "e17", "e25", "e26")
    ]
    named = run(
        F
        + ' | limit 1 | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, fields:{id}, prefix:"" | fields id'
    )
    assert named == [{"id": "f0"}]


def test_fields_flatten_known_record(run: Run) -> None:
    rows = run(
        F
        + " | limit 1 | fieldsAdd r = record(a = event.id, b = record(c = 1)) | fieldsFlatten r, depth:2 | fields r.a, r.b.c"
    )
    assert rows == [{"r.a": "e00", "r.b.c": "1"}]
    (one,) = run(
        F
        + " | limit 1 | fieldsAdd r = record(a = event.id, b = record(c = 1)) | fieldsFlatten r | fields r.b"
    )
    assert one == {"r.b": {"c": "1"}}


@pytest.mark.parametrize(
    ("dql", "reason", "column"),
    [
        (
            "fetch security.events | fieldsFlatten event.id",
            "fieldsFlatten needs a record but found string",
            39,
        ),
        (
            'fetch security.events | parse dt.raw_data, "JSON:raw" | fieldsFlatten raw, depth:0',
            "depth must be between 1 and 10",
            76,
        ),
        (
            "fetch security.events | fieldsFlatten record(a = 1), fields:{b}",
            "The record has no member 'b'",
            25,
        ),
    ],
)
def test_fields_flatten_errors(dql: str, reason: str, column: int) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(dql, now=datetime(2026, 1, 1))
    assert (info.value.reason, info.value.column) == (reason, column)


def test_parse_options(run: Run) -> None:
    kept = run(
        F
        + " | limit 2 | fieldsAdd n = 7 | parse finding.title, \"'Finding ' INT:n\", preserveFieldsOnFailure:true | fields n"
    )
    assert kept == [{"n": "0"}, {"n": "7"}]  # e01's title does not match: n keeps its value
    only = run(
        F + ' | limit 2 | parse finding.title, "LD:t", parsingPrerequisite: event.id == "e01" | fields t'
    )
    assert only == [{"t": None}, {"t": "finding 1"}]
