"""Dashboard variables: ``$name`` in a tile's query replaced by the picked value, as a DQL string literal.

A value is never spliced in as DQL: a single value becomes ``"…"`` (escaped), several become
``array("…", "…")``. ``$name`` inside a string, a backtick name or a comment is text, not a variable; a
``$name`` with no such variable is left alone, so the compiler reports it where it stands. The page's script
(``dashboards.js``) does the same, tested against this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = ["csv_choices", "default_values", "dql_literal", "substitute", "variable_names"]

_SCAN = re.compile(
    r'(?P<skip>"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`[^`]*`|//[^\n]*|/\*.*?\*/)'
    r"|\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)",
    re.DOTALL,
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}


def dql_literal(value: str) -> str:
    """``value`` as a double-quoted DQL string."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def _replacement(value: str | Sequence[str]) -> str:
    if isinstance(value, str):
        return dql_literal(value)
    return "array(" + ", ".join(dql_literal(item) for item in value) + ")"


def substitute(query: str, values: Mapping[str, str | Sequence[str]]) -> str:
    """``query`` with each ``$name`` of ``values`` replaced by its literal."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name is None or name not in values:
            return match.group(0)
        return _replacement(values[name])

    return _SCAN.sub(replace, query)


def variable_names(query: str) -> list[str]:
    """The ``$names`` ``query`` uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in _SCAN.finditer(query):
        if match.group("name"):
            seen.setdefault(match.group("name"), None)
    return list(seen)


def default_values(variables: Sequence[Mapping[str, object]]) -> dict[str, str | list[str]]:
    """Each variable's starting value: its ``defaultValue``, else (csv) the first choice, else empty.

    A ``query`` variable without a default starts empty here; the page fills it from its query's results.
    """
    values: dict[str, str | list[str]] = {}
    for variable in variables:
        key = str(variable.get("key", ""))
        default = variable.get("defaultValue")
        multiple = bool(variable.get("multiple"))
        choices = csv_choices(variable) if variable.get("type") == "csv" else []
        if isinstance(default, list):
            chosen = [str(item) for item in default]
        elif isinstance(default, str):
            chosen = [default]
        else:
            chosen = choices[:1]
        values[key] = chosen if multiple else (chosen[0] if chosen else "")
    return values


def csv_choices(variable: Mapping[str, object]) -> list[str]:
    """The choices of a ``csv`` variable: its ``input`` split at commas, trimmed, empties dropped."""
    text = variable.get("input")
    return [part.strip() for part in str(text).split(",") if part.strip()] if isinstance(text, str) else []
