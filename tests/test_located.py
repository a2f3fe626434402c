"""The located YAML reader: syntax errors at their position, every problem of a document at once."""

from __future__ import annotations

from threatlake.located import CoreLoader, LocatedReader, Position, compose, plain


def test_a_syntax_error_is_located() -> None:
    root, problems = compose("name: a\nitems: [1, 2\n", "x.yaml")
    assert root is None
    assert [(p.position.line, p.position.source) for p in problems] == [(3, "x.yaml")]
    assert problems[0].message.startswith("Invalid YAML:")


def test_every_problem_is_collected_with_its_path_and_position() -> None:
    root, problems = compose("name: a\nbogus: 1\nname: b\nlist:\n  - 1\n", "d.yaml")
    assert problems == [] and root is not None
    reader = LocatedReader("d.yaml")
    keys = reader.mapping(root, "", ("name", "list"))
    assert keys is not None and set(keys) == {"name", "list"}
    assert reader.scalar(keys["list"], "list", "a text", root) is None
    assert [(str(p.position), p.path, p.message.split(";")[0]) for p in reader.problems] == [
        ("d.yaml:2:1", "bogus", "Unknown key 'bogus'"),
        ("d.yaml:3:1", "name", "Duplicate key 'name'"),
        ("d.yaml:5:3", "list", "Expected a text"),
    ]
    assert Position("", 1, 2).__str__() == "<input>:1:2"


def test_plain_values_keep_every_position_and_read_scalars_as_yaml_1_2() -> None:
    root, problems = compose(
        "at: 08:00\nsince: 2024-04-10\nlate: yes\nn: 7\nlist:\n  - {a: true}\n", "w.yaml", loader=CoreLoader
    )
    assert problems == [] and root is not None
    value, positions, problems = plain(root, "w.yaml")
    assert value == {"at": "08:00", "since": "2024-04-10", "late": "yes", "n": 7, "list": [{"a": True}]}
    assert problems == []
    assert str(positions[("list", 0, "a")]) == "w.yaml:6:6" and positions[("n",)].line == 4


def test_plain_cuts_a_value_nested_too_deeply_with_its_position() -> None:
    root, _ = compose("a:\n  b:\n    c: 1\n")
    assert root is not None
    value, _, problems = plain(root, max_depth=2)
    assert value == {"a": {"b": {"c": None}}}
    assert [(p.path, p.message, p.position.line) for p in problems] == [("a.b.c", "nested too deeply", 3)]
