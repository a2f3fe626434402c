"""Stand-ins for time and the Lambda context, so retry tests wait for nothing."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is called (or ``advance``); records every sleep."""

    now: float = 1000.0
    wall: float = 1_800_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return self.wall

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.wall += seconds


@dataclass
class FakeContext:
    """The part of the Lambda context the forwarder reads; remaining time follows ``FakeTime``."""

    time: FakeTime
    remaining_seconds: float = 60.0
    aws_request_id: str = "test-request"

    def __post_init__(self) -> None:
        self._end = self.time.now + self.remaining_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._end - self.time.now) * 1000))


@dataclass
class RotatingTokens:
    """A rotated secret: reads give ``old`` until the first ``invalidate`` (after a 401), then ``new``."""

    old: str
    new: str
    reads: int = 0
    invalidated: int = 0

    def token(self) -> str:
        self.reads += 1
        return self.new if self.invalidated else self.old

    def invalidate(self) -> None:
        self.invalidated += 1
