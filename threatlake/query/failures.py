"""An engine's error while a query runs → a message fit for the user: what went wrong, never the engine's
text or the generated SQL (those belong in the service's log, next to the request id).

    except StoreError as error:
        log.warning("query %s failed: %s", request_id, error.message)
        raise QueryError(user_message(error.message)) from None
"""

from __future__ import annotations

import re

__all__ = ["FAILED", "user_message"]

FAILED = "The query failed while it ran"

# (what the engine's message contains, case-insensitive) → what the user is told; the first match wins
_KINDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), message)
    for pattern, message in (
        (r"out of memory|memory limit", "The query needs more memory than one query may use; narrow the "
         "timeframe, add a filter or summarize"),
        (r"interrupt|cancel", "The query was cancelled"),
        (r"timeout|timed out", "The query took longer than a query may run; narrow the timeframe or add a "
         "filter"),
        (r"overflow|out of range", "A value went out of range while the query ran (a number past what a long "
         "or a timestamp holds)"),
        (r"conversion error|could not convert|cannot cast", "A value could not be converted to the type the "
         "query needs"),
        (r"invalid input|malformed", "The query met a value it cannot process"),
    )
)  # fmt: skip


def user_message(engine_text: str) -> str:
    """A safe, stable message for an engine error (``engine_text`` itself is never part of it)."""
    for pattern, message in _KINDS:
        if pattern.search(engine_text):
            return f"{FAILED}: {message}."
    return f"{FAILED}."
