"""Document text → JSON, and the one way a document's problems are reported.

JSON that does not parse is reported at its line and column; a document that parses but breaks the format
is reported by the JSON path of every problem (``Problems`` collects them, ``raise_if_any`` raises one
``RequestError`` listing them, so a user fixes everything in one round).
"""

from __future__ import annotations

from typing import Any

import orjson

from threatlake.errors import RequestError

__all__ = ["MAX_DOCUMENT_BYTES", "Problems", "load_document"]

#: The platform accepts up to 50 MB; a dashboard or notebook of more than 5 MB is a mistake.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
_MAX_LISTED = 20


def load_document(text: bytes | str, what: str = "document") -> Any:
    """The parsed JSON of ``text``; RequestError with line and column when it is not JSON."""
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise RequestError(
            f"The {what} is {len(raw)} bytes, over the limit of {MAX_DOCUMENT_BYTES}",
            {"limit": MAX_DOCUMENT_BYTES},
        )
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        reason = error.msg
        raise RequestError(
            f"The {what} is not valid JSON: {reason} at line {error.lineno}, column {error.colno}",
            {"line": error.lineno, "column": error.colno},
        ) from None


class Problems:
    """Every problem found in one document, each at its JSON path."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.items: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append({"path": path, "message": message})

    def raise_if_any(self) -> None:
        if not self.items:
            return
        listed = "; ".join(
            f"{item['path'] or '(top)'}: {item['message']}" for item in self.items[:_MAX_LISTED]
        )
        more = f"; and {len(self.items) - _MAX_LISTED} more" if len(self.items) > _MAX_LISTED else ""
        raise RequestError(
            f"The {self.what} is not valid: {listed}{more}",
            {"path": self.items[0]["path"], "problems": self.items[:100]},
        )

    def expect(self, value: Any, kind: type | tuple[type, ...], path: str, label: str) -> bool:
        """True when ``value`` is of ``kind`` (bool is never a number); else a problem is added."""
        ok = isinstance(value, kind) and not (isinstance(value, bool) and bool not in _kinds(kind))
        if not ok:
            self.add(path, f"must be {label}, got {_describe(value)}")
        return ok


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _describe(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__
