"""An EventBridge event-pattern matcher, enough of it to check the templates' rules against sample events.

Semantics as EventBridge documents them: every field named in the pattern must match; a pattern leaf is a list
of alternatives; arrays in the event are flattened (a leaf matches when any value under its path matches any
alternative). Alternatives: exact values (strings, numbers, booleans, null), ``prefix``, ``suffix``,
``wildcard`` (``*`` for any run of characters), ``equals-ignore-case``, ``anything-but`` (a value, a list,
or a ``prefix``) and ``exists``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return all(_leaf_matches(rules, _values(event, path)) for path, rules in _leaves(pattern, ()))


def _leaves(pattern: dict[str, Any], prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], list[Any]]]:
    for key, value in pattern.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, key))
        else:
            assert isinstance(value, list) and value, (
                f"pattern leaf {'.'.join((*prefix, key))} must be a list"
            )
            yield (*prefix, key), value


def _values(event: Any, path: tuple[str, ...]) -> list[Any]:
    nodes = [event]
    for key in path:
        nodes = [
            item[key] for node in nodes for item in _flat(node) if isinstance(item, dict) and key in item
        ]
    return [value for node in nodes for value in _flat(node)]


def _flat(node: Any) -> list[Any]:
    return node if isinstance(node, list) else [node]


def _leaf_matches(rules: list[Any], values: list[Any]) -> bool:
    for rule in rules:
        if isinstance(rule, dict) and "exists" in rule:
            if bool(values) == rule["exists"]:
                return True
        elif any(_matches_value(rule, value) for value in values):
            return True
    return False


def _matches_value(rule: Any, value: Any) -> bool:
    if not isinstance(rule, dict):
        return _same(rule, value)
    [(operator, operand)] = rule.items()
    if operator == "anything-but":
        if isinstance(operand, dict):
            return not _matches_value(operand, value)
        return not any(_same(excluded, value) for excluded in _flat(operand))
    if not isinstance(value, str):
        return False
    if operator == "prefix":
        return value.startswith(operand)
    if operator == "suffix":
        return value.endswith(operand)
    if operator == "equals-ignore-case":
        return value.casefold() == str(operand).casefold()
    if operator == "wildcard":
        regex = ".*".join(re.escape(part) for part in str(operand).split("*"))
        return re.fullmatch(regex, value, re.DOTALL) is not None
    raise AssertionError(f"unsupported pattern operator {operator!r}")


def _same(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and expected == value
