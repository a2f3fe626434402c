"""YAML read with positions: every value keeps its line and column, every problem says where it is.

The one reader of located YAML, for every definition a person writes by hand (pipelines, workflows).
``compose`` parses text into PyYAML's node tree (which keeps the marks), or gives the one problem at the
position of the syntax error; ``LocatedReader`` walks the nodes and collects *every* problem instead of
stopping at the first, each a ``Problem`` with its position and key path; ``plain`` turns a tree into plain
values with the position of every key, for readers that check values after building them (workflows).
``CoreLoader`` reads scalars as YAML 1.2's core schema does, the way the commercial product's loader reads
workflow documents: ``time: 08:00`` and ``2024-04-10`` stay strings, only ``true``/``false`` are booleans.
Pure: text in, nodes, values and problems out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs: the package pins PyYAML alone

__all__ = ["CoreLoader", "KeyPath", "LocatedReader", "Position", "Problem", "compose", "plain"]

#: The path of a value in a document: its keys and list indexes from the root.
KeyPath = tuple[str | int, ...]


class CoreLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here
    """SafeLoader with the YAML 1.2 core schema's implicit scalars (set up below)."""


CoreLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    CoreLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


@dataclass(frozen=True, slots=True)
class Position:
    """Where a value is in the YAML source (1-based)."""

    source: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.source or '<input>'}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition. ``query_line``/``query_column`` point inside a DQL expression."""

    position: Position
    path: str
    message: str
    query_line: int = 0
    query_column: int = 0

    def __str__(self) -> str:
        return (
            f"{self.position}: {self.path}: {self.message}"
            if self.path
            else f"{self.position}: {self.message}"
        )

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "source": self.position.source,
            "line": self.position.line,
            "column": self.position.column,
            "path": self.path,
            "message": self.message,
        }
        if self.query_line:
            out |= {"queryLine": self.query_line, "queryColumn": self.query_column}
        return out


def compose(
    text: str, source: str = "", *, loader: type[yaml.SafeLoader] = yaml.SafeLoader
) -> tuple[yaml.Node | None, list[Problem]]:
    """The node tree of ``text`` (None when it is empty), or no tree and the one syntax problem."""
    try:
        return yaml.compose(text, Loader=loader), []
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [Problem(Position(source, line, column), "", f"Invalid YAML: {error.problem}")]
    except yaml.YAMLError as error:
        return None, [Problem(Position(source, 1, 1), "", f"Invalid YAML: {error}")]
    except RecursionError:
        return None, [Problem(Position(source, 1, 1), "", "Invalid YAML: nested too deeply")]


class LocatedReader:
    """Walks composed YAML nodes (which keep their positions), collecting every problem."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def pos(self, node: yaml.Node) -> Position:
        return _position(self.source, node)

    def problem(self, node: yaml.Node, path: str, message: str) -> None:
        self.problems.append(Problem(self.pos(node), path, message))

    def mapping(self, node: yaml.Node, path: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node] | None:
        """The keys of a mapping node; unknown and duplicate keys are problems (and left out)."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, path, f"Expected a mapping with keys {', '.join(allowed)}")
            return None
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            where = f"{path}.{name}" if path else str(name)
            if name not in allowed:
                self.problem(key, where, f"Unknown key {name!r}; expected one of {', '.join(allowed)}")
            elif name in out:
                self.problem(key, where, f"Duplicate key {name!r}")
            else:
                out[name] = value
        return out

    def scalar(self, node: yaml.Node | None, path: str, what: str, parent: yaml.Node) -> str | None:
        """The text of a scalar node; a missing, null or non-scalar one is a problem."""
        if node is None:
            self.problem(parent, path, f"Missing {what}")
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.problem(node, path, f"Expected {what}")
            return None
        return str(node.value)


def plain(
    node: yaml.Node, source: str = "", *, loader: type[yaml.SafeLoader] = CoreLoader, max_depth: int = 64
) -> tuple[Any, dict[KeyPath, Position], list[Problem]]:
    """The plain value of a tree, the position of every key and list item, and a problem for a value nested
    deeper than ``max_depth`` (the value is then cut there). Compose with the same ``loader``: the scalars'
    types are decided when the tree is composed."""
    positions: dict[KeyPath, Position] = {}
    problems: list[Problem] = []
    constructor = loader("")

    def build(node: yaml.Node, path: KeyPath) -> Any:
        if len(path) > max_depth:
            problems.append(Problem(_position(source, node), ".".join(map(str, path)), "nested too deeply"))
            return None
        if isinstance(node, yaml.MappingNode):
            constructor.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(constructor.construct_object(key_node, deep=True))
                positions[(*path, key)] = _position(source, key_node)
                out[key] = build(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                positions[(*path, index)] = _position(source, item)
                items.append(build(item, (*path, index)))
            return items
        return constructor.construct_object(node, deep=True)

    return build(node, ()), positions, problems


def _position(source: str, node: yaml.Node) -> Position:
    return Position(source, node.start_mark.line + 1, node.start_mark.column + 1)
