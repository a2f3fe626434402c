"""YAML read with positions: every value keeps its line and column, every problem says where it is.

The one reader of located YAML, for every definition a person writes by hand (pipelines today; workflow and
dashboard definitions can use the same machinery). ``compose`` parses text into PyYAML's node tree (which
keeps the marks) or raises ``LocatedError`` at the position of the syntax error; ``LocatedReader`` walks the
nodes and collects *every* problem instead of stopping at the first, each a ``Problem`` with its position and
key path. Pure: text in, nodes and problems out.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml  # type: ignore[import-untyped]  # no stubs: the package pins PyYAML alone

__all__ = ["LocatedReader", "Position", "Problem", "compose"]


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


def compose(text: str, source: str = "") -> tuple[yaml.Node | None, list[Problem]]:
    """The node tree of ``text`` (None when it is empty), or no tree and the one syntax problem."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), []
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
        return Position(self.source, node.start_mark.line + 1, node.start_mark.column + 1)

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
