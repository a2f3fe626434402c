"""Pipeline definitions: the YAML a user writes, read into frozen dataclasses with every problem located.

A pipeline is a name, the endpoint it serves and an ordered list of processors (``docs/pipelines.md``)::

    name: prod
    endpoint: builtin            # or the name of a custom endpoint
    processors:
      - type: drop
        condition: dt.security.risk.level == "NONE"
      - type: route
        condition: aws.account.id == "123456789012"
        bucket: long_retention

Reading checks the structure (types, keys, names); the DQL inside is checked when the pipeline is compiled
(``processors.compile_pipeline``). Both report ``PipelineError``: every problem with the file, line and column
of the YAML value, the path of the key (``processors[2].condition``) and, for DQL, the line and column inside
the expression. Pure: the caller reads the files and passes their text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import yaml  # type: ignore[import-untyped]  # no stubs: the package pins PyYAML alone

from threatlake.errors import ConfigError
from threatlake.located import LocatedReader, Position, Problem, compose

__all__ = [
    "BUILTIN",
    "NAME",
    "PROCESSOR_TYPES",
    "PROTECTED_FIELDS",
    "Drop",
    "Expression",
    "FieldsAdd",
    "FieldsRemove",
    "FieldsRename",
    "Filter",
    "PipelineDefinition",
    "PipelineError",
    "Position",
    "Problem",
    "Processor",
    "Route",
    "parse_pipeline",
]

#: The endpoint name of ``/platform/ingest/v1/security.events`` (every other name is a custom endpoint).
BUILTIN = "builtin"
#: Pipeline, endpoint and bucket names: like custom endpoint names.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-:@]{0,199}")
_PATTERN = re.compile(r"[A-Za-z_*][A-Za-z0-9_.\-:@*]{0,199}")
#: Fields a processor may not add, remove or rename: the identity, time and bucket of an event.
PROTECTED_FIELDS = frozenset({"event.id", "timestamp", "dt.system.bucket"})
_MAX_PROCESSORS = 100


class PipelineError(ConfigError):
    """A pipeline definition that cannot be used; ``problems`` lists every located problem."""

    def __init__(self, problems: list[Problem], processors: tuple[Processor, ...] = ()) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems: tuple[Problem, ...] = tuple(problems)
        #: the processors that were read despite the problems (their DQL is still worth checking)
        self.processors = processors


@dataclass(frozen=True, slots=True)
class Expression:
    """DQL text as written, with where it was written."""

    text: str
    position: Position
    path: str


@dataclass(frozen=True, slots=True)
class Drop:
    """Remove the events where ``condition`` is true (null and false keep the event)."""

    kind: ClassVar[str] = "drop"

    condition: Expression
    position: Position


@dataclass(frozen=True, slots=True)
class Filter:
    """Keep only the events where ``condition`` is true (null and false drop the event)."""

    kind: ClassVar[str] = "filter"

    condition: Expression
    position: Position


@dataclass(frozen=True, slots=True)
class FieldsAdd:
    """Set fields to DQL expressions, in order (a later field sees the earlier ones)."""

    kind: ClassVar[str] = "fieldsAdd"

    fields: tuple[tuple[str, Expression], ...]
    position: Position


@dataclass(frozen=True, slots=True)
class FieldsRemove:
    """Remove fields by name or ``*`` pattern (``aws.resource.*``)."""

    kind: ClassVar[str] = "fieldsRemove"

    names: tuple[str, ...]
    position: Position


@dataclass(frozen=True, slots=True)
class FieldsRename:
    """Rename fields: ``(new, old)`` pairs."""

    kind: ClassVar[str] = "fieldsRename"

    renames: tuple[tuple[str, str], ...]
    position: Position


@dataclass(frozen=True, slots=True)
class Route:
    """Send the events where ``condition`` is true to ``bucket`` (``dt.system.bucket``)."""

    kind: ClassVar[str] = "route"

    condition: Expression
    bucket: str
    position: Position


Processor = Drop | Filter | FieldsAdd | FieldsRemove | FieldsRename | Route


@dataclass(frozen=True, slots=True)
class PipelineDefinition:
    name: str
    endpoint: str = BUILTIN
    description: str = ""
    processors: tuple[Processor, ...] = ()
    source: str = field(default="", compare=False)  # the file name (or request) it was read from


# -- reading YAML ------------------------------------------------------------------------------------------


class _Reader(LocatedReader):
    """Walks a pipeline's composed YAML nodes, collecting every problem (``LocatedReader``) and knowing
    pipelines' names, field names and DQL expressions."""

    def name(self, node: yaml.Node | None, path: str, what: str, parent: yaml.Node) -> str | None:
        text = self.scalar(node, path, what, parent)
        if text is not None and not NAME.fullmatch(text):
            assert node is not None
            self.problem(
                node, path, f"Invalid {what} {text[:100]!r}: 1 to 100 letters, digits, '.', '_' or '-'"
            )
            return None
        return text

    def field_name(
        self, node: yaml.Node, path: str, *, pattern: bool = False, change: str = ""
    ) -> str | None:
        text = self.scalar(node, path, "a field name", node)
        if text is None:
            return None
        if not (_PATTERN if pattern else _FIELD).fullmatch(text):
            self.problem(node, path, f"Invalid field name {text[:100]!r}")
            return None
        if change and text in PROTECTED_FIELDS:
            self.problem(node, path, f"Field {text!r} cannot be {change}")
            return None
        return text

    def expression(self, node: yaml.Node | None, path: str, parent: yaml.Node) -> Expression | None:
        text = self.scalar(node, path, "a DQL expression", parent)
        if text is None:
            return None
        assert node is not None
        if not text.strip():
            self.problem(node, path, "Expected a DQL expression")
            return None
        return Expression(text, self.pos(node), path)


def _condition(r: _Reader, keys: dict[str, yaml.Node], path: str, node: yaml.Node) -> Expression | None:
    return r.expression(keys.get("condition"), f"{path}.condition", node)


def _read_drop(r: _Reader, keys: dict[str, yaml.Node], path: str, node: yaml.Node) -> Processor | None:
    condition = _condition(r, keys, path, node)
    return Drop(condition, r.pos(node)) if condition else None


def _read_filter(r: _Reader, keys: dict[str, yaml.Node], path: str, node: yaml.Node) -> Processor | None:
    condition = _condition(r, keys, path, node)
    return Filter(condition, r.pos(node)) if condition else None


def _read_route(r: _Reader, keys: dict[str, yaml.Node], path: str, node: yaml.Node) -> Processor | None:
    condition = _condition(r, keys, path, node)
    bucket = r.name(keys.get("bucket"), f"{path}.bucket", "bucket name", node)
    return Route(condition, bucket, r.pos(node)) if condition and bucket else None


def _fields(r: _Reader, keys: dict[str, yaml.Node], path: str, node: yaml.Node) -> yaml.Node | None:
    fields = keys.get("fields")
    if fields is None:
        r.problem(node, f"{path}.fields", "Missing fields")
    return fields


def _read_fields_remove(
    r: _Reader, keys: dict[str, yaml.Node], path: str, node: yaml.Node
) -> Processor | None:
    fields = _fields(r, keys, path, node)
    return None if fields is None else _fields_remove(r, fields, f"{path}.fields", r.pos(node))


def _read_fields_mapping(kind: str) -> ProcessorReader:
    def read(r: _Reader, keys: dict[str, yaml.Node], path: str, node: yaml.Node) -> Processor | None:
        fields = _fields(r, keys, path, node)
        return None if fields is None else _fields_mapping(r, kind, fields, f"{path}.fields", r.pos(node))

    return read


ProcessorReader = Callable[["_Reader", dict[str, yaml.Node], str, yaml.Node], Processor | None]


@dataclass(frozen=True, slots=True)
class ProcessorType:
    """One processor type: the keys its YAML may have and the reader that makes it (the compiler for each
    type is ``pipeline.processors.COMPILERS``, keyed alike; a test keeps the two in step)."""

    keys: tuple[str, ...]
    read: ProcessorReader


#: Every processor type, in the order the documentation lists them.
PROCESSORS: dict[str, ProcessorType] = {
    "drop": ProcessorType(("type", "condition"), _read_drop),
    "filter": ProcessorType(("type", "condition"), _read_filter),
    "fieldsAdd": ProcessorType(("type", "fields"), _read_fields_mapping("fieldsAdd")),
    "fieldsRemove": ProcessorType(("type", "fields"), _read_fields_remove),
    "fieldsRename": ProcessorType(("type", "fields"), _read_fields_mapping("fieldsRename")),
    "route": ProcessorType(("type", "condition", "bucket"), _read_route),
}
PROCESSOR_TYPES: tuple[str, ...] = tuple(PROCESSORS)
_ALL_KEYS = ("type", "condition", "fields", "bucket")


def _processor(r: _Reader, node: yaml.Node, path: str) -> Processor | None:
    keys = r.mapping(node, path, _ALL_KEYS)
    if keys is None:
        return None
    kind = r.scalar(keys.get("type"), f"{path}.type", "a processor type", node)
    if kind is None:
        return None
    found = PROCESSORS.get(kind)
    if found is None:
        choices = ", ".join(PROCESSOR_TYPES)
        r.problem(keys["type"], f"{path}.type", f"Unknown processor type {kind!r}; expected one of {choices}")
        return None
    for key, value in keys.items():
        if key not in found.keys:
            r.problem(value, f"{path}.{key}", f"A {kind} processor has no {key!r}")
    return found.read(r, keys, path, node)


def _fields_remove(r: _Reader, node: yaml.Node, path: str, where: Position) -> Processor | None:
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    names: list[str] = []
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]" if isinstance(node, yaml.SequenceNode) else path
        name = r.field_name(item, item_path, pattern=True)
        if name is None:
            continue
        regex = re.compile("^" + ".*".join(re.escape(part) for part in name.split("*")) + "$")
        protected = sorted(f for f in PROTECTED_FIELDS if regex.match(f))
        if protected:
            r.problem(item, item_path, f"Field {protected[0]!r} cannot be removed")
            continue
        names.append(name)
    if not items:
        r.problem(node, path, "Expected at least one field name")
    return FieldsRemove(tuple(names), where) if names and len(names) == len(items) else None


def _fields_mapping(r: _Reader, kind: str, node: yaml.Node, path: str, where: Position) -> Processor | None:
    if not isinstance(node, yaml.MappingNode) or not node.value:
        what = "new.name: <DQL expression>" if kind == "fieldsAdd" else "new.name: old.name"
        r.problem(node, path, f"Expected a mapping {what}")
        return None
    before = len(r.problems)
    seen: set[str] = set()
    adds: list[tuple[str, Expression]] = []
    renames: list[tuple[str, str]] = []
    for key, value in node.value:
        name = r.field_name(key, path, change="set" if kind == "fieldsAdd" else "renamed")
        if name is None:
            continue
        item_path = f"{path}.{name}"
        if name in seen:
            r.problem(key, item_path, f"Field {name!r} appears twice")
            continue
        seen.add(name)
        if kind == "fieldsAdd":
            expression = r.expression(value, item_path, key)
            if expression is not None:
                adds.append((name, expression))
        else:
            old = r.field_name(value, item_path, change="renamed")
            if old is not None:
                renames.append((name, old))
    if len(r.problems) > before:
        return None
    return FieldsAdd(tuple(adds), where) if kind == "fieldsAdd" else FieldsRename(tuple(renames), where)


_TOP = ("name", "description", "endpoint", "processors")


def parse_pipeline(text: str, source: str = "", *, name: str | None = None) -> PipelineDefinition:
    """Read one pipeline from YAML (JSON is YAML too). ``name``, when given (a file's stem, a URL), must match
    the ``name`` key, which may then be left out. Raises ``PipelineError`` listing every problem."""
    r = _Reader(source)
    root, problems = compose(text, source)
    if problems:
        raise PipelineError(problems)
    if root is None:
        raise PipelineError([Problem(Position(source, 1, 1), "", "Empty pipeline definition")])
    keys = r.mapping(root, "", _TOP)
    if keys is None:
        raise PipelineError(r.problems)
    pipeline_name = name
    if "name" in keys or name is None:
        pipeline_name = r.name(keys.get("name"), "name", "pipeline name", root)
        if name is not None and pipeline_name is not None and pipeline_name != name:
            r.problem(keys["name"], "name", f"The name {pipeline_name!r} does not match {name!r}")
    endpoint = BUILTIN
    if "endpoint" in keys:
        endpoint = r.name(keys["endpoint"], "endpoint", "endpoint name", root) or BUILTIN
    description = ""
    if "description" in keys:
        description = r.scalar(keys["description"], "description", "a text", root) or ""
    processors: list[Processor] = []
    items = keys.get("processors")
    if items is not None and not (isinstance(items, yaml.ScalarNode) and items.tag.endswith(":null")):
        if not isinstance(items, yaml.SequenceNode):
            r.problem(items, "processors", "Expected a list of processors")
        elif len(items.value) > _MAX_PROCESSORS:
            r.problem(items, "processors", f"A pipeline has at most {_MAX_PROCESSORS} processors")
        else:
            for index, item in enumerate(items.value):
                processor = _processor(r, item, f"processors[{index}]")
                if processor is not None:
                    processors.append(processor)
    if r.problems:
        raise PipelineError(r.problems, tuple(processors))
    assert pipeline_name is not None
    return PipelineDefinition(pipeline_name, endpoint, description, tuple(processors), source)
