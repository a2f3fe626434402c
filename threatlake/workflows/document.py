"""Reading a workflow document (YAML or JSON text) into plain values, remembering the line of every key.

YAML is read through the one located reader (``threatlake.located``) with the YAML 1.2 core schema's scalars
(``CoreLoader``), the way the commercial product's own loader reads it: ``time: 08:00`` and ``earliestStart:
2024-04-10`` stay the strings the author wrote (a YAML 1.1 loader would turn them into a sexagesimal integer
and a date), and only ``true``/``false`` are booleans (not ``yes``/``on``).
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml  # type: ignore[import-untyped]

from threatlake.located import CoreLoader, KeyPath, Position, compose, plain
from threatlake.workflows.errors import DefinitionError, DefinitionProblem

__all__ = ["Located", "dump_yaml", "read_document"]

#: Path of a key (a tuple of keys and indexes) → its 1-based line in the YAML source.
Lines = dict[KeyPath, int]
_MAX_BYTES = 2_000_000
_MAX_DEPTH = 64


class Located:
    """A document's value and the line of each key path (empty for JSON)."""

    __slots__ = ("lines", "value")

    def __init__(self, value: Any, lines: Lines) -> None:
        self.value = value
        self.lines = lines

    def line(self, *path: str | int) -> int:
        """The line of the deepest known key along ``path`` (0 when unknown)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 0


def read_document(text: str | bytes) -> Located:
    """The value of a YAML or JSON document; a syntax error raises ``DefinitionError`` with its line."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if len(text) > _MAX_BYTES:
        raise DefinitionError([DefinitionProblem("", f"document over {_MAX_BYTES} bytes")])
    if text.lstrip().startswith(("{", "[")):
        try:
            return Located(orjson.loads(text), {})
        except orjson.JSONDecodeError:
            pass  # flow-style YAML is also valid; the YAML reader reports the error with its line
    node, problems = compose(text, loader=CoreLoader)
    value: Any = None
    positions: dict[KeyPath, Position] = {}
    if node is not None:
        value, positions, problems = plain(node, max_depth=_MAX_DEPTH)
    if problems:
        raise DefinitionError([DefinitionProblem(p.path, p.message, line=p.position.line) for p in problems])
    return Located(value, {path: where.line for path, where in positions.items()})


def dump_yaml(value: Any) -> str:
    """YAML text for a document, keys in their stored order, multi-line strings as blocks."""
    return str(yaml.dump(value, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100))


class _BlockDumper(yaml.SafeDumper):  # type: ignore[misc]
    pass


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)
