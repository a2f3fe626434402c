"""The forwarder's exceptions. Every one reaches Lambda, which retries the invocation and then hands the event
to the on-failure destination (the dead-letter queue), so no event is dropped silently. (Events the endpoint
rejects for good are not exceptions: they go to the dead-letter queue themselves, ``deadletter.py``.)

    ForwarderError            root
    ├── ConfigError           a missing or malformed environment variable
    ├── SecretError           the token could not be read from Secrets Manager
    ├── EnvelopeError         the invocation payload holds something that is not an event
    ├── DeadLetterError       a rejected event could not be put on the dead-letter queue
    └── ForwardError          the endpoint did not accept a request; ``transient`` says whether retrying
                              later can help (429, 5xx, timeouts, connection errors) or not (401 after the
                              secret was read again, 403, 404, 415, a redirect, an answer that is not from
                              an ingest endpoint)
"""

from __future__ import annotations

__all__ = ["ConfigError", "DeadLetterError", "EnvelopeError", "ForwardError", "ForwarderError", "SecretError"]


class ForwarderError(Exception):
    """Root of the forwarder's exceptions."""


class ConfigError(ForwarderError):
    """An environment variable is missing or malformed."""


class SecretError(ForwarderError):
    """The ingest token could not be read from its secret."""


class EnvelopeError(ForwarderError):
    """The invocation payload holds something that is not an event."""


class DeadLetterError(ForwarderError):
    """A rejected event could not be put on the dead-letter queue (or no queue is configured)."""


class ForwardError(ForwarderError):
    """The endpoint did not accept a request within the attempts and time allowed."""

    def __init__(
        self, message: str, *, status: int | None = None, attempts: int = 0, transient: bool
    ) -> None:
        super().__init__(message)
        self.status = status
        self.attempts = attempts
        self.transient = transient
