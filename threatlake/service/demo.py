"""Demo data: the bundled sample findings, moved into the present, in a bucket of their own.

A first start stores them (unless ``load_samples`` is off) so that queries have something to show; they live
in the bucket ``demo_security_events`` (``dt.system.bucket``; the ``events`` view shows them in the older
integration's bucket like every security event) and arrive through the connection ``samples``. The samples
were captured years apart, so each sample file is moved on its own: its newest finding lands at "now" minus
one minute per newer file, the findings inside a file keep their spacing, and the files keep their order.
``remove_demo`` deletes the bucket with every demo event (``threatlake demo remove``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from threatlake.model import Event, format_timestamp, parse_timestamp
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.query.fetch import DEMO_BUCKET
from threatlake.store import Store, WriteResult

__all__ = [
    "DEMO_BUCKET",
    "DEMO_CONNECTION",
    "DEMO_RETENTION_DAYS",
    "demo_events",
    "load_demo",
    "remove_demo",
    "shift_to_now",
]

DEMO_CONNECTION = "samples"
DEMO_RETENTION_DAYS = 365
#: Between the newest findings of two sample files once they are moved into the present.
FILE_STEP = timedelta(minutes=1)
#: The fields that hold a finding's own times: moved together.
TIME_FIELDS = ("timestamp", "finding.time.created", "finding.time.updated")

_BUCKET_FIELD = "dt.system.bucket"


def _newest(events: list[Event]) -> datetime | None:
    stamps = [stamp for event in events if (stamp := parse_timestamp(event.get("timestamp"))) is not None]
    return max(stamps, default=None)


def shift_to_now(files: list[list[Event]], now: datetime, step: timedelta = FILE_STEP) -> None:
    """Move each file's finding times so the newest file's newest ``timestamp`` is ``now``, the next newest
    file's ``now - step``, and so on; inside a file every time moves by the same amount (spacing kept)."""
    dated = [(newest, events) for events in files if (newest := _newest(events)) is not None]
    dated.sort(key=lambda item: item[0], reverse=True)
    for rank, (newest, events) in enumerate(dated):
        delta = now - rank * step - newest
        for event in events:
            for name in TIME_FIELDS:
                when = parse_timestamp(event.get(name))
                if when is not None:
                    event[name] = format_timestamp(when + delta)


def demo_events(samples: Iterable[tuple[str, bytes]], now: datetime) -> list[Event]:
    """The events of the sample files ``(name, bytes)``, moved into the present, in the demo bucket."""
    ctx = IngestContext(received_at=now, source="threatlake samples", connection=DEMO_CONNECTION)
    files = [map_bytes(data, ctx, name).events for name, data in samples]
    shift_to_now(files, now)
    events = [event for events in files for event in events]
    for event in events:
        event[_BUCKET_FIELD] = DEMO_BUCKET
    return events


def load_demo(store: Store, samples: Iterable[tuple[str, bytes]], now: datetime) -> WriteResult:
    """Store the demo events (the demo bucket is created first when missing)."""
    if not any(bucket.name == DEMO_BUCKET for bucket in store.list_buckets()):
        store.create_bucket(DEMO_BUCKET, DEMO_RETENTION_DAYS, now=now)
    return store.write(demo_events(samples, now))


def remove_demo(store: Store) -> int | None:
    """Delete the demo bucket and its events: how many were deleted, None when there was no demo data."""
    if not any(bucket.name == DEMO_BUCKET for bucket in store.list_buckets()):
        return None
    return store.delete_bucket(DEMO_BUCKET)
