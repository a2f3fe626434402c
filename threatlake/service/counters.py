"""Events received per connection: tallied from durable writes, added to the state in batches.

``ConnectionCounters.count_written`` is called after each durable write (the service's writer calls it, and
so does ``threatlake ingest``), so it sees exactly the events of each write (duplicates included) and
tallies them by ``dt.ingest.connection``. It adds the tallies to the connection repository (SQLite, which
``threatlake connection list`` reads while the service runs) at most once per ``interval`` seconds, one
transaction for all connections; a timer writes what is left after the last write of a burst, and ``close``
writes the rest. The counts lag the store by about a second at most.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from threatlake.model import Event
from threatlake.state.connections import ConnectionRepository
from threatlake.store import WriteResult

__all__ = ["ConnectionCounters"]

log = logging.getLogger("threatlake.connections")

_FIELD = "dt.ingest.connection"


class ConnectionCounters:
    """Events received per connection, from the writer's durable writes into the settings database."""

    def __init__(
        self,
        connections: ConnectionRepository,
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connections = connections
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: Counter[str] = Counter()
        self._seen: dict[str, datetime] = {}
        self._last_flush = -interval
        self._timer: threading.Timer | None = None
        self._closed = False

    def count_written(self, events: list[Event], result: WriteResult) -> None:
        """The writer's ``on_write``: tally ``events`` (a committed write) by connection."""
        tally = Counter(str(event.get(_FIELD) or "") for event in events)
        tally.pop("", None)
        if not tally:
            return
        now = datetime.now(UTC)
        with self._lock:
            self._pending.update(tally)
            for name in tally:
                self._seen[name] = now
            wait = self._interval - (self._clock() - self._last_flush)
            if wait > 0 and self._timer is None and not self._closed:
                self._timer = threading.Timer(wait, self.flush)
                self._timer.daemon = True
                self._timer.start()
        if wait <= 0:
            self.flush()

    def flush(self) -> None:
        """Add what is pending to the settings database now (never raises: counters must not fail writes)."""
        with self._lock:
            pending, seen = self._pending, self._seen
            self._pending, self._seen = Counter(), {}
            self._last_flush = self._clock()
            self._timer = None
        if not pending:
            return
        try:
            self._connections.record_received({name: (pending[name], seen[name]) for name in pending})
        except Exception:
            log.exception("could not update the connection counters; retrying with the next write")
            with self._lock:
                self._pending.update(pending)
                for name, moment in seen.items():
                    self._seen[name] = max(moment, self._seen.get(name, moment))

    def close(self) -> None:
        """Stop the timer and write what is pending (after the writer has drained)."""
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush()
