"""Reading a workflow document (YAML or JSON text) into plain values, remembering the line of every key.

YAML is read with the YAML 1.2 core schema's scalars, the way the commercial product's own loader reads it:
``time: 08:00`` and ``earliestStart: 2024-04-10`` stay the strings the author wrote (a YAML 1.1 loader would
turn them into a sexagesimal integer and a date), and only ``true``/``false`` are booleans (not
``yes``/``on``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import yaml  # type: ignore[import-untyped]

from threatlake.workflows.errors import DefinitionError, DefinitionProblem

__all__ = ["Located", "dump_yaml", "read_document"]

#: Path of a key (a tuple of keys and indexes) → its 1-based line in the YAML source.
Lines = dict[tuple[str | int, ...], int]
_MAX_BYTES = 2_000_000
_MAX_DEPTH = 64


class _CoreLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here
    """SafeLoader with the YAML 1.2 core schema's implicit scalars (set up below)."""


_CoreLoader.yaml_implicit_resolvers = {}
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
    _CoreLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


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
    try:
        node = yaml.compose(text, Loader=_CoreLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(error, "problem", None) or str(error)
        raise DefinitionError([DefinitionProblem("", f"not valid YAML: {reason}", line=line)]) from None
    lines: Lines = {}
    if node is None:
        return Located(None, lines)
    loader = _CoreLoader("")
    return Located(_build(node, (), lines, loader), lines)


def _build(node: Any, path: tuple[str | int, ...], lines: Lines, loader: Any) -> Any:
    if len(path) > _MAX_DEPTH:
        raise DefinitionError([DefinitionProblem(".".join(map(str, path)), "nested too deeply")])
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node, deep=True))
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_build(item, (*path, index), lines, loader))
        return items
    return loader.construct_object(node, deep=True)


def dump_yaml(value: Any) -> str:
    """YAML text for a document, keys in their stored order, multi-line strings as blocks."""
    return str(yaml.dump(value, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100))


class _BlockDumper(yaml.SafeDumper):  # type: ignore[misc]
    pass


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)
