"""The Lambda entry point: unwrap what arrived, send it, dead-letter what the endpoint rejected for good.

Settings are read from the environment once per container (on the first invocation), as are the token cache
and the sender, so a warm Lambda reuses them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

from .config import Config
from .deadletter import DeadLetterQueue
from .envelope import unwrap
from .errors import DeadLetterError, ForwarderError, ForwardError
from .log import emit
from .secret import TokenCache
from .sender import Sender

__all__ = ["Forwarder", "handler"]


class LambdaContext(Protocol):
    aws_request_id: str

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass
class Forwarder:
    """The objects one Lambda container keeps between invocations."""

    config: Config
    tokens: TokenCache
    sender: Sender
    dead_letters: DeadLetterQueue | None = None

    @classmethod
    def from_config(cls, config: Config) -> Forwarder:
        return cls(
            config=config,
            tokens=TokenCache(config.secret_arn, config.secret_key_name, config.secret_ttl_seconds),
            sender=Sender(
                url=config.ingest_url,
                max_bytes=config.max_bytes,
                timeout_seconds=config.request_timeout_seconds,
                max_attempts=config.max_attempts,
                backoff_base_seconds=config.backoff_base_seconds,
                backoff_max_seconds=config.backoff_max_seconds,
            ),
            dead_letters=DeadLetterQueue(config.dead_letter_queue_url)
            if config.dead_letter_queue_url
            else None,
        )

    def __call__(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        remaining = context.get_remaining_time_in_millis() / 1000
        deadline = self.sender.clock() + remaining - self.config.safety_margin_seconds
        request_id = getattr(context, "aws_request_id", None)
        try:
            events = unwrap(event)
            if not events:
                emit("nothing to forward", request_id=request_id)
                return {"events": 0, "requests": 0, "bytes": 0, "dead_lettered": 0}
            sent = self.sender.send(events, self.tokens, deadline)
            if sent.rejected and self.dead_letters is None:
                reasons = "; ".join(item.reason for item in sent.rejected[:5])
                raise DeadLetterError(
                    f"{len(sent.rejected)} events rejected and no DEAD_LETTER_QUEUE_URL to put them on "
                    f"(the invocation fails so Lambda's on-failure destination keeps them): {reasons}"
                )
            if sent.rejected and self.dead_letters is not None:
                self.dead_letters.put(sent.rejected, endpoint=self.config.ingest_url, request_id=request_id)
        except ForwarderError as error:
            if isinstance(error, ForwardError) and error.status == 401:
                self.tokens.invalidate()  # the token may have been rotated: read it again on Lambda's retry
            emit(
                "invocation failed",
                level="ERROR",
                request_id=request_id,
                error=f"{type(error).__name__}: {error}",
            )
            raise
        emit(
            "invocation done",
            request_id=request_id,
            events=sent.events,
            requests=sent.requests,
            bytes=sent.bytes,
            dead_lettered=len(sent.rejected),
        )
        return {
            "events": sent.events,
            "requests": sent.requests,
            "bytes": sent.bytes,
            "dead_lettered": len(sent.rejected),
        }


_forwarder: Forwarder | None = None


def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """AWS Lambda handler (``forwarder.handler.handler`` in the deployed package)."""
    global _forwarder  # noqa: PLW0603 - one Forwarder per Lambda container, built on first use
    if _forwarder is None:
        _forwarder = Forwarder.from_config(Config.from_env(os.environ))
    return _forwarder(event, context)
