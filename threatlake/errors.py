"""The one exception tree of Threatlake.

    ThreatlakeError                 root; every error says what, where and why
    ├── SourceError                 a document or finding that cannot be decoded or mapped (terminal)
    ├── QueryError                  a DQL query that cannot be parsed, typed or compiled (terminal)
    ├── StoreError                  the store failed to read or write (``retryable`` tells which)
    └── ConfigError                 a setting with an invalid value (terminal)

Retryability is explicit: ``error.retryable`` is True only when sending the same input again may succeed.
HTTP status mapping happens in exactly one place, the web layer's error handler.
"""

from __future__ import annotations

__all__ = ["ConfigError", "QueryError", "SourceError", "StoreError", "ThreatlakeError"]


class ThreatlakeError(Exception):
    """Root of every error Threatlake raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SourceError(ThreatlakeError):
    """Input that cannot be decoded or mapped.

    ``location`` points into the input: a file name, a byte offset, an array index or a JSON path
    (``[3].detail.findings[1]``), so the user can find the offending finding.
    """

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.reason = message
        self.location = location

    def at(self, prefix: str, separator: str = " ") -> SourceError:
        """The same error, located inside ``prefix``: a file name (joined by a space) or an outer JSON path
        (``separator="."``). An inner location that starts with an index joins with no separator."""
        inner = self.location
        if not prefix or not inner:
            return SourceError(self.reason, prefix or inner)
        return SourceError(self.reason, prefix + (inner if inner.startswith("[") else separator + inner))


class QueryError(ThreatlakeError):
    """A query that cannot be parsed, typed or compiled; carries line and column (1-based)."""

    def __init__(self, message: str, line: int = 0, column: int = 0, text: str = "") -> None:
        where = f" at line {line}, column {column}" if line else ""
        super().__init__(message.replace("{where}", where) if "{where}" in message else message + where)
        self.reason = message.replace("{where}", "")
        self.line = line
        self.column = column
        self.text = text


class StoreError(ThreatlakeError):
    """The store could not complete an operation."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class ConfigError(ThreatlakeError):
    """A setting with an invalid value; names the setting and its environment variable."""
