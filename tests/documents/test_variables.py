"""Variables: ``$name`` becomes a DQL string literal, never DQL; strings and comments are left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from threatlake.documents import csv_choices, default_values, dql_literal, substitute
from threatlake.documents.variables import variable_names
from threatlake.query import compile_query
from threatlake.query.tokens import TokenType, tokenize


@pytest.mark.parametrize(
    ("query", "values", "expected"),
    [
        ("filter a == $X", {"X": "v"}, 'filter a == "v"'),
        ("filter in(a, $X)", {"X": ["p", "q"]}, 'filter in(a, array("p", "q"))'),
        ('filter a == "$X" and b == $X', {"X": "v"}, 'filter a == "$X" and b == "v"'),
        ("filter `$X` == $X // $X\n", {"X": "v"}, 'filter `$X` == "v" // $X\n'),
        ("filter a == $Y", {"X": "v"}, "filter a == $Y"),
        ("filter a == $XY", {"X": "v"}, "filter a == $XY"),
        ("filter a == $X", {"X": '" or true or "'}, 'filter a == "\\" or true or \\""'),
    ],
)
def test_substitute(query: str, values: dict[str, str | list[str]], expected: str) -> None:
    assert substitute(query, values) == expected


@pytest.mark.parametrize("value", ['a"b', "back\\slash", "new\nline", "tab\t", "$X", "'quote'", "ünï"])
def test_a_literal_reads_back_as_the_same_string(value: str) -> None:
    tokens = tokenize(f"a == {dql_literal(value)}")
    assert [token.type for token in tokens] == [
        TokenType.IDENT,
        TokenType.OP,
        TokenType.STRING,
        TokenType.EOF,
    ]
    assert tokens[2].value == value


def test_an_injection_attempt_stays_one_string_value() -> None:
    text = substitute("fetch security.events | filter event.provider == $P", {"P": '" or true //'})
    compiled = compile_query(text, now=datetime(2026, 1, 1, tzinfo=UTC))
    assert '" or true //' in tuple(compiled.params or ())
    assert "true" not in compiled.sql.lower()


def test_defaults_and_choices() -> None:
    variables = [
        {"key": "A", "type": "csv", "input": " x, y ,,z"},
        {"key": "B", "type": "csv", "input": "x,y", "multiple": True, "defaultValue": ["y"]},
        {"key": "C", "type": "text"},
        {"key": "D", "type": "query", "input": "fetch x", "multiple": True},
    ]
    assert csv_choices(variables[0]) == ["x", "y", "z"]
    assert default_values(variables) == {"A": "x", "B": ["y"], "C": "", "D": []}


def test_variable_names_in_order() -> None:
    assert variable_names('filter a == $B or b == $A or c == $B or d == "$C"') == ["B", "A"]
