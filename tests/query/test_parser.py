"""Tokenizer and parser: positions, precedence, and the canonical text (parsing back to the same tree)."""

from __future__ import annotations

import pytest

from threatlake.query import nodes as n
from threatlake.query import parse
from threatlake.query.tokens import TokenType, tokenize


def test_tokens_carry_line_and_column() -> None:
    tokens = tokenize('fetch events\n  | filter x == "a\\"b" // note\n  /* c */ and y >= 2.5e1 or z < 7d')
    found = [(t.type, t.value, t.line, t.column) for t in tokens if t.type is not TokenType.OP]
    assert found[:4] == [
        (TokenType.IDENT, "fetch", 1, 1),
        (TokenType.IDENT, "events", 1, 7),
        (TokenType.IDENT, "filter", 2, 5),
        (TokenType.IDENT, "x", 2, 12),
    ]
    assert (TokenType.STRING, 'a"b', 2, 17) in found and (TokenType.DOUBLE, 25.0, 3, 20) in found
    assert (TokenType.DURATION, 7 * 86_400 * 10**9, 3, 33) in found and found[-1][0] is TokenType.EOF


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("a or b and not c == 1", "a or b and not c == 1"),
        ("(a or b) and c", "(a or b) and c"),
        ("-x * (1 + 2)", "-x * (1 + 2)"),
        ("a - (b - c)", "a - (b - c)"),
        ("now() - 7d @ 1d", "now() - 7d@1d"),
        ("t @ d", "t@1d"),
        ("x in [fetch events | fields a]", "x in [fetch events | fields a]"),
        ("rec[a][`b c`], arr[0], arr[][k]", "rec[a][`b c`], arr[0], arr[][k]"),
        ("`Open findings` = count()", "`Open findings` = count()"),
        ("if(c, 1, else: 2)", "if(c, 1, else:2)"),
        ('x == """raw "text" """', 'x == "raw \\"text\\" "'),
        ("a AND b Or NOT c", "a and b or not c"),
        ("a <> b", "a != b"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    query = parse(f"fetch events | fields {text}")
    assert str(query) == f"fetch events\n| fields {canonical}"
    assert parse(str(query)) == query


def test_precedence() -> None:
    (fields,) = parse("fetch events | fields a + b * c == d or e").commands[1:]
    expr = fields.params[0].expr
    assert isinstance(expr, n.Binary) and expr.op == "or"
    assert isinstance(expr.left, n.Binary) and expr.left.op == "=="
    assert isinstance(expr.left.left, n.Binary) and expr.left.left.op == "+"


def test_named_alias_and_order_parameters() -> None:
    (dedup,) = parse("fetch events | dedup {a, b}, sort:{t desc}").commands[1:]
    assert dedup.named("sort") is not None and [p.order for p in dedup.named("sort").expr.params] == ["desc"]  # type: ignore[union-attr]
    (expand,) = parse("fetch events | expand ip = actor.ips").commands[1:]
    assert expand.params[0].alias == "ip"


def test_several_commands_on_one_line_and_comments() -> None:
    query = parse("fetch events /* a */ | limit 1 // b\n| fields x")
    assert [c.name for c in query.commands] == ["fetch", "limit", "fields"]
