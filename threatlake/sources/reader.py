"""Typed, located reads from an untrusted finding.

Every getter returns None (or an empty list) for a missing or null key and raises ``SourceError`` naming the
JSON path when the value has the wrong type, so a mutated finding yields a precise message, never a
``KeyError`` or ``TypeError``. ``where`` is the path of ``d`` itself; it is only formatted when raising.
"""

from __future__ import annotations

import math
from typing import Any

from threatlake.errors import SourceError

__all__ = ["bounded_score", "entries", "integer", "number", "obj", "objs", "text", "texts", "truth"]


def _wrong(where: str, key: str, expected: str, value: object) -> SourceError:
    path = f"{where}.{key}" if where else key
    return SourceError(f"expected {expected}, got {type(value).__name__} {_preview(value)}", path)


def _preview(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def obj(d: dict[str, Any], key: str, where: str = "") -> dict[str, Any] | None:
    """An object value, or None."""
    value = d.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise _wrong(where, key, "an object", value)


def objs(d: dict[str, Any], key: str, where: str = "") -> list[dict[str, Any]]:
    """A list of objects (a single object counts as a list of one; null entries are skipped)."""
    value = d.get(key)
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise _wrong(where, key, "an array of objects", value)
    items: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            items.append(item)
        elif item is not None:
            raise _wrong(where, f"{key}[{index}]", "an object", item)
    return items


def entries(d: dict[str, Any], key: str, where: str = "") -> list[tuple[int, dict[str, Any]]]:
    """``objs`` with each object's index in the finding (nulls are skipped, indexes kept), so errors and
    locations name the right entry."""
    value = d.get(key)
    if isinstance(value, list):
        checked = objs(d, key, where)  # raises, located, on a non-object entry
        if len(checked) == len(value):
            return list(enumerate(checked))
        return [(index, item) for index, item in enumerate(value) if item is not None]
    return list(enumerate(objs(d, key, where)))


def text(d: dict[str, Any], key: str, where: str = "") -> str | None:
    """A string value (numbers are written as text; an empty string reads as None)."""
    value = d.get(key)
    if isinstance(value, str):
        return value or None
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _wrong(where, key, "a string", value)


def texts(d: dict[str, Any], key: str, where: str = "") -> list[str]:
    """A list of strings (a single string counts as a list of one; nulls and empty strings are skipped)."""
    value = d.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if not isinstance(value, list):
        raise _wrong(where, key, "an array of strings", value)
    items: list[str] = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            if item:
                items.append(item)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            items.append(str(item))
        elif item is not None:
            raise _wrong(where, f"{key}[{index}]", "a string", item)
    return items


def number(d: dict[str, Any], key: str, where: str = "") -> float | None:
    """A finite number (numeric strings are accepted, as some exports write them)."""
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            raise _wrong(where, key, "a number", value) from None
    else:
        raise _wrong(where, key, "a number", value)
    if not math.isfinite(result):
        raise _wrong(where, key, "a finite number", value)
    return result


def bounded_score(d: dict[str, Any], key: str, where: str = "", high: float = 10.0) -> float | None:
    """A vendor score clamped to its documented range ``0``–``high``: a severity of -1, 101 or 2**70 is noise
    that must not sort first forever (the value as sent stays in ``dt.raw_data``). Infinities clamp too; NaN
    reads as missing."""
    value = d.get(key)
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else (high if value > 0 else 0.0)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return high if value > 0 else 0.0  # far out of range, and float() overflows past 1e308
    result = number(d, key, where)
    if result is None:
        return None
    return min(max(result, 0.0), high)


def integer(d: dict[str, Any], key: str, where: str = "") -> int | None:
    """A whole number."""
    result = number(d, key, where)
    if result is None:
        return None
    if not result.is_integer():
        raise _wrong(where, key, "a whole number", d.get(key))
    return int(result)


def truth(d: dict[str, Any], key: str, where: str = "") -> bool | None:
    """A boolean (the strings ``"true"``/``"false"`` are accepted)."""
    value = d.get(key)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _wrong(where, key, "a boolean", value)
