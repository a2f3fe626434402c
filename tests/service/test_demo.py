"""Demo data: the bundled samples moved into the present, in their own bucket, removable at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from threatlake.model import Event, parse_timestamp
from threatlake.samples import sample_files
from threatlake.service.demo import (
    DEMO_BUCKET,
    DEMO_CONNECTION,
    FILE_STEP,
    demo_events,
    load_demo,
    remove_demo,
    shift_to_now,
)
from threatlake.store.duckdb import DuckDBStore

NOW = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)


def _at(text: str, **times: str) -> Event:
    return {"timestamp": text, **times}


def _time(event: Event, name: str = "timestamp") -> datetime:
    moment = parse_timestamp(event[name])
    assert moment is not None
    return moment


def test_the_newest_file_lands_now_the_others_follow_in_order_and_keep_their_inner_spacing() -> None:
    old = [
        _at("2019-01-01T00:00:00Z"),
        _at("2019-03-01T12:00:00Z", **{"finding.time.created": "2018-12-31T00:00:00Z"}),
    ]
    newest = [_at("2026-07-01T10:00:00.5Z")]
    middle = [_at("2022-02-02T02:02:02Z")]
    undated = [{"finding.id": "x"}]
    shift_to_now([old, newest, undated, middle], NOW)

    assert _time(newest[0]) == NOW
    assert _time(middle[0]) == NOW - FILE_STEP
    assert _time(old[1]) == NOW - 2 * FILE_STEP
    assert _time(old[1]) - _time(old[0]) == timedelta(days=59, hours=12)  # spacing inside a file is kept
    assert _time(old[1]) - _time(old[1], "finding.time.created") == timedelta(days=60, hours=12)
    assert undated == [{"finding.id": "x"}]


def test_demo_events_are_the_samples_in_the_present_in_the_demo_bucket() -> None:
    events = demo_events(sample_files(), NOW)
    assert len(events) > 50
    assert {event["dt.system.bucket"] for event in events} == {DEMO_BUCKET}
    assert {event["dt.ingest.connection"] for event in events} == {DEMO_CONNECTION}
    stamps = sorted(_time(event) for event in events)
    assert stamps[-1] == NOW
    files = sum(1 for _ in sample_files())
    # all but a few (a file whose findings were months apart) within the files' minutes
    recent = [stamp for stamp in stamps if stamp >= NOW - files * FILE_STEP]
    assert len(recent) >= len(stamps) - 5


def test_load_then_remove_in_one_call() -> None:
    store = DuckDBStore(":memory:", now=NOW)
    try:
        written = load_demo(store, sample_files(), NOW)
        assert written.stored > 50
        assert DEMO_BUCKET in {bucket.name for bucket in store.list_buckets()}
        assert load_demo(store, sample_files(), NOW).stored == 0  # the same ids: duplicates, nothing new
        own = store.execute("select count(*) from events", []).column(0)[0].as_py()
        assert remove_demo(store) == written.stored == own
        assert store.execute("select count(*) from events", []).column(0)[0].as_py() == 0
        assert DEMO_BUCKET not in {bucket.name for bucket in store.list_buckets()}
        assert remove_demo(store) is None
    finally:
        store.close()
