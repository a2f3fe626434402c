"""The one exception tree of Threatlake.

    ThreatlakeError                 root; every error says what, where and why
    ├── SourceError                 a document or finding that cannot be decoded or mapped (terminal)
    │   └── SizeLimitError          input over a size limit, as sent or inflated
    ├── QueryError                  a DQL query that cannot be parsed, typed or compiled (terminal)
    ├── StoreError                  the store failed to read or write (``retryable`` tells which)
    │   └── QueryTimeoutError       the engine stopped a query at its timeout
    ├── ConfigError                 a setting with an invalid value (terminal)
    ├── RequestError                a request the API cannot serve as sent (terminal)
    │   ├── BodyTooLargeError       a body over a size limit, as sent or decompressed
    │   ├── MediaTypeError          a content type or encoding the endpoint does not accept
    │   ├── NotFoundError           a resource (token, query) that does not exist
    │   ├── ConflictError           a resource that already exists (a connection name)
    │   └── ResultGoneError         a query result that expired or was cancelled
    ├── AuthError                   a missing, malformed, unknown or revoked token
    │   └── ScopeError              a valid token without the scope the endpoint needs
    └── UnavailableError            the service cannot take the request now (retryable; ``retry_after``)
        └── OverloadedError         the writer queue is full: back off and retry

Retryability is explicit: ``error.retryable`` is True only when sending the same input again may succeed.
HTTP status mapping happens in exactly one place, the web layer's error handler.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "BodyTooLargeError",
    "ConfigError",
    "ConflictError",
    "MediaTypeError",
    "NotFoundError",
    "OverloadedError",
    "QueryError",
    "QueryTimeoutError",
    "RequestError",
    "ResultGoneError",
    "ScopeError",
    "SizeLimitError",
    "SourceError",
    "StoreError",
    "ThreatlakeError",
    "UnavailableError",
]


class ThreatlakeError(Exception):
    """Root of every error Threatlake raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SourceError(ThreatlakeError):
    """Input that cannot be decoded or mapped.

    ``location`` points into the input: a file name, a line, an array index or a JSON path
    (``[3].detail.findings[1]``), so the user can find the offending finding; ``offset`` is the byte offset
    in the (decompressed) body when the error is a decoding one.
    """

    def __init__(self, message: str, location: str = "", *, offset: int | None = None) -> None:
        super().__init__(f"{location}: {message}" if location else message)
        self.reason = message
        self.location = location
        self.offset = offset

    def at(self, prefix: str, separator: str = " ") -> SourceError:
        """The same error, located inside ``prefix``: a file name (joined by a space) or an outer JSON path
        (``separator="."``). An inner location that starts with an index joins with no separator."""
        inner = self.location
        if not prefix or not inner:
            location = prefix or inner
        else:
            location = prefix + (inner if inner.startswith("[") else separator + inner)
        return type(self)(self.reason, location, offset=self.offset)


class SizeLimitError(SourceError):
    """Input over a size limit (a body too large, or one that inflates past the limit)."""


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


class QueryTimeoutError(StoreError):
    """The engine stopped a query at its timeout (not a fault of the query's text: no line or column)."""


class ConfigError(ThreatlakeError):
    """A setting with an invalid value; names the setting and its environment variable."""


class RequestError(ThreatlakeError):
    """A request the API cannot serve as sent; ``details`` says where (a field, a byte offset, an index)."""

    def __init__(self, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.details: dict[str, object] = details or {}


class BodyTooLargeError(RequestError):
    """A request body over a size limit (as sent, or after decompression)."""


class MediaTypeError(RequestError):
    """A content type or content encoding the endpoint does not accept."""


class NotFoundError(RequestError):
    """A resource that does not exist (a token id, a query request token)."""


class ConflictError(RequestError):
    """A resource that cannot be created because one with the same name exists (a connection)."""


class ResultGoneError(RequestError):
    """A query result that is no longer kept: expired after its time to live, or cancelled."""

    @classmethod
    def unknown(cls, token: str) -> ResultGoneError:
        """No query holds ``token`` (on this node or, with shared state, any other)."""
        return cls(
            "No query with this request token: it expired, was cancelled or never existed",
            {"requestToken": token[:64]},
        )

    @classmethod
    def cancelled(cls, token: str) -> ResultGoneError:
        return cls("The query was cancelled", {"requestToken": token[:64]})


class AuthError(ThreatlakeError):
    """A request without a usable token: missing, malformed, unknown or revoked."""


class ScopeError(AuthError):
    """A valid token that lacks the scope the endpoint needs."""


class UnavailableError(ThreatlakeError):
    """The service cannot take the request now (starting, stopping, busy); retry after ``retry_after`` s."""

    retryable = True

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OverloadedError(UnavailableError):
    """The writer queue is full: the store cannot keep up with ingest right now."""
