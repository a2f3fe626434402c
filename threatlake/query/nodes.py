"""The DQL syntax tree: plain frozen dataclasses, each knowing where it was written and how to print itself.

``str(node)`` is the node's canonical text; the canonical query is ``str(Query)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from threatlake.errors import QueryError

__all__ = [
    "Access",
    "Binary",
    "Call",
    "Command",
    "Expr",
    "Field",
    "Group",
    "Literal",
    "Param",
    "Pos",
    "Query",
    "SubQuery",
    "Unary",
    "group_params",
    "output_name",
    "positional_items",
]

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_UNITS: tuple[tuple[str, int], ...] = (
    ("d", 86_400_000_000_000),
    ("h", 3_600_000_000_000),
)
_UNITS += (("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000), ("ns", 1))


@dataclass(frozen=True, slots=True)
class Pos:
    line: int
    column: int
    text: str

    def error(self, message: str) -> QueryError:
        return QueryError(message, self.line, self.column, self.text)


def name_text(name: str) -> str:
    """A field name as DQL writes it: bare when it can be, else in backticks."""
    return name if _PLAIN_NAME.fullmatch(name) else f"`{name}`"


def duration_text(ns: int) -> str:
    for unit, size in _UNITS:
        if ns and ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


@dataclass(frozen=True, slots=True)
class Expr:
    pos: Pos = field(compare=False)


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    kind: str  # string long double boolean null duration
    value: object

    def __str__(self) -> str:
        if self.kind == "string":
            return json.dumps(self.value, ensure_ascii=False)
        if self.kind == "boolean":
            return "true" if self.value else "false"
        if self.kind == "null":
            return "null"
        if self.kind == "duration":
            assert isinstance(self.value, int)
            return duration_text(self.value)
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class Field(Expr):
    name: str

    def __str__(self) -> str:
        return name_text(self.name)


@dataclass(frozen=True, slots=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr

    def __str__(self) -> str:
        inner = str(self.operand)
        if isinstance(self.operand, Binary) and (
            self.op == "-" or STRENGTH[self.operand.op] < STRENGTH["not"]
        ):
            inner = f"({inner})"
        return f"not {inner}" if self.op == "not" else f"-{inner}"


@dataclass(frozen=True, slots=True)
class Binary(Expr):
    op: str  # lower-case: and or xor in == != < ... + - * / % @ ~
    left: Expr
    right: Expr

    def __str__(self) -> str:
        if self.op in ("and", "or"):  # a long chain prints in a loop, not by recursion
            parts: list[str] = []
            node: Expr = self
            while isinstance(node, Binary) and node.op == self.op:
                parts.append(_paren(node.right, self.op, True))
                node = node.left
            parts.append(_paren(node, self.op, False))
            return f" {self.op} ".join(reversed(parts))
        left, right = _paren(self.left, self.op, False), _paren(self.right, self.op, True)
        return f"{left}{self.op}{right}" if self.op == "@" else f"{left} {self.op} {right}"


@dataclass(frozen=True, slots=True)
class Access(Expr):
    """``base[key]`` (record field or array index) or ``base[]`` (iterate; key is None)."""

    base: Expr
    key: Expr | None

    def __str__(self) -> str:
        return f"{self.base}[{'' if self.key is None else self.key}]"


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: ``expr``, ``alias = expr``, ``name: expr``, optionally followed by ``asc``/``desc``."""

    pos: Pos = field(compare=False)
    expr: Expr
    name: str | None = None  # named parameter (``by:``)
    alias: str | None = None  # assignment target (``x = ...``)
    order: str | None = None  # "asc" / "desc"
    assign: Pos | None = field(default=None, compare=False)  # where the ``=`` of ``alias = expr`` is

    def __str__(self) -> str:
        text = str(self.expr)
        if self.alias is not None:
            text = f"{name_text(self.alias)} = {text}"
        if self.order is not None:
            text = f"{text} {self.order}"
        return f"{self.name}:{text}" if self.name is not None else text


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    params: tuple[Param, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.params))})"


@dataclass(frozen=True, slots=True)
class Group(Expr):
    """``{a, b = c, d desc}``: a list of parameters."""

    params: tuple[Param, ...]

    def __str__(self) -> str:
        return "{" + ", ".join(map(str, self.params)) + "}"


@dataclass(frozen=True, slots=True)
class SubQuery(Expr):
    query: Query

    def __str__(self) -> str:
        return f"[{self.query.inline()}]"


@dataclass(frozen=True, slots=True)
class Command:
    pos: Pos = field(compare=False)
    name: str
    params: tuple[Param, ...]

    def __str__(self) -> str:
        return f"{self.name} {', '.join(map(str, self.params))}".rstrip()

    def named(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def positional(self) -> list[Param]:
        return [p for p in self.params if p.name is None]


@dataclass(frozen=True, slots=True)
class Query:
    commands: tuple[Command, ...]

    def __str__(self) -> str:
        return "\n| ".join(map(str, self.commands))

    def inline(self) -> str:
        return " | ".join(map(str, self.commands))


# Binding strength for printing: must agree with the parser's precedence table.
STRENGTH = {"or": 1, "xor": 2, "and": 3, "not": 4, "in": 5, "~": 7}
STRENGTH |= dict.fromkeys(("==", "!=", "<>", "<", "<=", ">", ">="), 6)
STRENGTH |= {"+": 8, "-": 8, "@": 9, "*": 10, "/": 10, "%": 10}


def _paren(child: Expr, op: str, right: bool) -> str:
    if isinstance(child, Binary):
        mine, theirs = STRENGTH[op], STRENGTH[child.op]
        if theirs < mine or (right and theirs == mine):
            return f"({child})"
    if isinstance(child, Unary) and child.op == "not" and STRENGTH[op] > STRENGTH["not"]:
        return f"({child})"
    return str(child)


def output_name(param: Param) -> str:
    """The field a parameter produces: its alias, a field's own name, else the expression's text."""
    if param.alias is not None:
        return param.alias
    if isinstance(param.expr, Field):
        return param.expr.name
    return str(param.expr)


def positional_items(params: list[Param]) -> list[Param]:
    """Positional parameters with braced lists opened: ``fieldsAdd {a = 1}`` is ``fieldsAdd a = 1``."""
    return [item for param in params for item in group_params(param)]


def group_params(param: Param | None) -> list[Param]:
    """``{a, b}`` or a single expression, as a list of parameters."""
    if param is None:
        return []
    if isinstance(param.expr, Group) and param.alias is None:
        return list(param.expr.params)
    return [Param(param.pos, param.expr, None, param.alias, param.order, param.assign)]
