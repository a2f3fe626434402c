"""DQL over the ingested fixture corpus, checked against answers computed here from the events themselves
(never from the SQL): the questions security engineers ask first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests import golden
from threatlake.model import Event
from threatlake.query import compile_query, to_result
from threatlake.store import Store, open_store

NOW = datetime(2027, 1, 1, tzinfo=UTC)
# The same finding may sit in two fixtures (bare and in its envelope): the store keeps it once, so do we.
EVENTS: list[Event] = list(
    {event["event.id"]: event for path in golden.inputs() for event in golden.map_file(path).events}.values()
)
LATEST_FIRST = sorted(EVENTS, key=lambda e: e["timestamp"], reverse=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = open_store(Path(tmp_path_factory.mktemp("corpus")))
    result = opened.write(EVENTS)
    assert result.stored == len(EVENTS)
    yield opened
    opened.close()


def run(store: Store, text: str, limit: int = 100_000) -> list[dict[str, Any]]:
    compiled = compile_query(text, now=NOW, default_from=datetime(2000, 1, 1, tzinfo=UTC), max_records=limit)
    records: list[dict[str, Any]] = to_result(compiled, store.execute(compiled.sql, compiled.params))[
        "records"
    ]
    return records


def counts(records: list[dict[str, Any]], *keys: str) -> Counter[tuple[Any, ...]]:
    return Counter({tuple(r.get(k) for k in keys): int(r["n"]) for r in records})


def test_the_corpus_is_broad() -> None:
    providers = Counter(e["event.provider"] for e in EVENTS)
    assert providers["Amazon GuardDuty"] >= 40 and providers["AWS Security Hub"] >= 80


@pytest.mark.parametrize(
    "keys",
    [("event.provider",), ("event.provider", "event.type"), ("dt.security.risk.level",), ("aws.account.id",)],
)
def test_counts_by(store: Store, keys: tuple[str, ...]) -> None:
    by = ", ".join(keys)
    got = counts(run(store, f"fetch security.events | summarize n = count(), by:{{{by}}}"), *keys)
    assert got == Counter(tuple(e.get(k) for k in keys) for e in EVENTS)


def test_the_seed_detection_query(store: Store) -> None:
    records = run(
        store,
        'fetch security.events | filter dt.system.bucket == "default_securityevents" '
        '| filter event.kind == "SECURITY_EVENT" and event.provider == "Amazon GuardDuty" '
        'and event.type == "DETECTION_FINDING"',
    )
    expected = {e["event.id"] for e in EVENTS if e["event.provider"] == "Amazon GuardDuty"}
    assert {r["event.id"] for r in records} == expected


def test_dedup_keeps_the_latest_state_of_each_finding(store: Store) -> None:
    records = run(
        store,
        "fetch security.events | dedup {finding.id, object.id}, sort:{timestamp desc} "
        "| fields finding.id, object.id, timestamp",
    )
    latest: dict[tuple[Any, Any], str] = {}
    for event in LATEST_FIRST:
        latest.setdefault((event["finding.id"], event.get("object.id")), event["timestamp"])
    assert {(r["finding.id"], r.get("object.id")): r["timestamp"] for r in records} == latest


def test_not_equal_drops_nulls_and_filter_out_keeps_them(store: Store) -> None:
    ne = run(store, 'fetch security.events | filter event.type != "DETECTION_FINDING" | fields event.id')
    assert {r["event.id"] for r in ne} == {
        e["event.id"] for e in EVENTS if e.get("event.type") not in (None, "DETECTION_FINDING")
    }
    out = run(store, 'fetch security.events | filterOut event.type == "DETECTION_FINDING" | fields event.id')
    assert {r["event.id"] for r in out} == {
        e["event.id"] for e in EVENTS if e.get("event.type") != "DETECTION_FINDING"
    }


def test_in_and_contains(store: Store) -> None:
    got = run(
        store,
        'fetch security.events | filter in(dt.security.risk.level, {"CRITICAL", "HIGH"}) | fields event.id',
    )
    assert {r["event.id"] for r in got} == {
        e["event.id"] for e in EVENTS if e["dt.security.risk.level"] in ("CRITICAL", "HIGH")
    }
    got = run(
        store, 'fetch security.events | filter contains(finding.type, "portprobe", caseSensitive:false)'
    )
    assert len(got) == sum("portprobe" in e["finding.type"].lower() for e in EVENTS)
    got = run(store, 'fetch security.events | filter contains(finding.type, "portprobe")')
    assert got == []


def test_expand_actor_ips(store: Store) -> None:
    records = run(store, "fetch security.events | expand actor.ips | summarize n = count(), by:{actor.ips}")
    expected = Counter((ip,) for e in EVENTS for ip in e.get("actor.ips", []))
    assert counts(records, "actor.ips") == expected


def test_parse_raw_data_as_json(store: Store) -> None:
    records = run(
        store,
        'fetch security.events | filter event.provider == "AWS Security Hub" '
        '| parse dt.raw_data, "JSON:raw" | fields event.id, schema = raw[SchemaVersion]',
    )
    expected = {
        e["event.id"]: orjson.loads(e["dt.raw_data"]).get("SchemaVersion")
        for e in EVENTS
        if e["event.provider"] == "AWS Security Hub"
    }
    assert {r["event.id"]: r.get("schema") for r in records} == expected


def test_make_timeseries_counts_per_day(store: Store) -> None:
    gd = [e for e in EVENTS if e["event.provider"] == "Amazon GuardDuty"]
    start = min(e["timestamp"] for e in gd)[:10]
    records = run(
        store,
        'fetch security.events | filter event.provider == "Amazon GuardDuty" '
        f'| makeTimeseries n = count(default:0), interval:1d, from:toTimestamp("{start}T00:00:00Z"), '
        'to:toTimestamp("2027-01-01T00:00:00Z")',
    )
    (series,) = records
    per_day = Counter(e["timestamp"][:10] for e in gd)
    values = [int(v) for v in series["n"]]
    assert sum(values) == len(gd)
    first = datetime.fromisoformat(start).date()
    for day, count in per_day.items():
        assert values[(datetime.fromisoformat(day).date() - first).days] == count


def test_summarize_distinct_and_collect(store: Store) -> None:
    records = run(
        store,
        "fetch security.events | summarize accounts = countDistinct(aws.account.id), "
        "types = collectDistinct(event.type), by:{event.provider}",
    )
    for record in records:
        mine = [e for e in EVENTS if e["event.provider"] == record["event.provider"]]
        assert int(record["accounts"]) == len({e["aws.account.id"] for e in mine if e.get("aws.account.id")})
        assert set(record["types"]) == {e["event.type"] for e in mine if e.get("event.type")}


def test_lookup_join_and_append(store: Store) -> None:
    vulnerable = {e["object.id"] for e in EVENTS if e.get("event.type") == "VULNERABILITY_FINDING"}
    detected = {e["object.id"] for e in EVENTS if e.get("event.type") == "DETECTION_FINDING"}
    joined = run(
        store,
        'fetch security.events | filter event.type == "DETECTION_FINDING" | fields object.id '
        '| join [fetch security.events | filter event.type == "VULNERABILITY_FINDING" | fields object.id], '
        "on:{left[object.id] == right[object.id]} | fields object.id",
    )
    assert {r["object.id"] for r in joined} == vulnerable & detected
    looked = run(
        store,
        "fetch security.events | fields finding.id, object.id "
        '| lookup [fetch security.events | filter event.type == "VULNERABILITY_FINDING" '
        "| fields object.id, vulnerability.id], sourceField:object.id, lookupField:object.id",
    )
    assert len(looked) == len(EVENTS)
    assert {r["object.id"] for r in looked if r.get("lookup.vulnerability.id")} == vulnerable
    appended = run(
        store,
        'fetch security.events | filter event.provider == "Amazon GuardDuty" | fields event.id '
        '| append [fetch security.events | filter event.provider == "AWS Security Hub" | fields event.id]',
    )
    assert len(appended) == sum(e["event.provider"] != "Custom" for e in EVENTS)


def test_the_workflow_idiom(store: Store) -> None:
    records = run(
        store,
        'fetch security.events | filter event.type == "VULNERABILITY_FINDING" '
        "| summarize {findings = collectArray(record(timestamp, vulnerability.id, dt.security.risk.level))}, "
        "by:{object.id} | expand findings "
        "| dedup {object.id, findings[vulnerability.id]}, sort:{findings[timestamp] desc}",
    )
    expected = {
        (e["object.id"], e.get("vulnerability.id"))
        for e in EVENTS
        if e.get("event.type") == "VULNERABILITY_FINDING"
    }
    assert {(r["object.id"], r["findings"].get("vulnerability.id")) for r in records} == expected
