"""Compiled SQL executed on an in-memory store; every expected answer is computed independently in Python."""

# ruff: noqa: E501  (DQL queries and expected messages read best on one line)
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pytest

from threatlake.errors import QueryError
from threatlake.query import compile_query, to_result

from .conftest import EVENTS, NOW, Run

F = "fetch security.events"


def counts(records: list[dict[str, Any]], key: str) -> dict[Any, int]:
    return {r.get(key): int(r["count()"]) for r in records}


def test_counts_by_provider(run: Run) -> None:
    expected = Counter(e["event.provider"] for e in EVENTS)
    assert counts(run(F + " | summarize count(), by:{event.provider}"), "event.provider") == expected


def test_null_key_forms_its_own_group(run: Run) -> None:
    expected = Counter(e["dt.security.risk.level"] for e in EVENTS)
    assert None in expected
    assert (
        counts(run(F + " | summarize count(), by:{dt.security.risk.level}"), "dt.security.risk.level")
        == expected
    )


def test_not_equal_drops_nulls(run: Run) -> None:
    expected = sum(1 for e in EVENTS if e["dt.security.risk.level"] not in (None, "HIGH"))
    assert run(F + ' | filter dt.security.risk.level != "HIGH" | summarize count()') == [
        {"count()": str(expected)}
    ]


def test_filter_out_keeps_nulls_but_filter_not_drops_them(run: Run) -> None:
    keep = sum(1 for e in EVENTS if e["dt.security.risk.level"] != "HIGH")
    drop = sum(1 for e in EVENTS if e["dt.security.risk.level"] not in (None, "HIGH"))
    assert run(F + ' | filterOut dt.security.risk.level == "HIGH" | summarize count()')[0]["count()"] == str(
        keep
    )
    assert run(F + ' | filter not dt.security.risk.level == "HIGH" | summarize count()')[0]["count()"] == str(
        drop
    )


def test_null_equals_null_is_null(run: Run) -> None:
    assert run(F + " | filter null == null | summarize count()") == [{"count()": "0"}]
    assert run(F + " | filter isNull(aws.account.id) | summarize count()") == [
        {"count()": str(sum(1 for e in EVENTS if e["aws.account.id"] is None))}
    ]


def test_dedup_keeps_the_latest_state(run: Run) -> None:
    latest: dict[str, dict[str, Any]] = {}
    for e in EVENTS:
        if e["object.id"] not in latest or e["timestamp"] > latest[e["object.id"]]["timestamp"]:
            latest[e["object.id"]] = e
    records = run(F + " | dedup {object.id}, sort:{timestamp desc} | fields object.id, event.id")
    assert {r["object.id"]: r["event.id"] for r in records} == {k: v["event.id"] for k, v in latest.items()}


def test_summarize_by_with_aggregates(run: Run) -> None:
    records = run(
        F
        + " | summarize n = count(), s = sum(finding.count), hi = max(dt.security.risk.score), by:{object.name}"
    )
    for r in records:
        group = [e for e in EVENTS if e["object.name"] == r["object.name"]]
        counts_ = [e["finding.count"] for e in group if e["finding.count"] is not None]
        scores = [e["dt.security.risk.score"] for e in group if e["dt.security.risk.score"] is not None]
        assert (r["n"], r["s"], r["hi"]) == (str(len(group)), str(sum(counts_)), max(scores))


def test_summarize_empty_input(run: Run) -> None:
    no_rows = F + ' | filter event.id == "none"'
    assert run(no_rows + " | summarize count(), m = max(finding.count), c = countIf(true)") == [
        {"count()": "0", "m": None, "c": "0"}
    ]
    assert run(no_rows + " | summarize count(), by:{event.provider}") == []


def test_make_timeseries_bins(run: Run) -> None:
    start = NOW - timedelta(hours=6)
    q = F + ", from:-6h | makeTimeseries count(), zero = count(default:0), by:{event.provider}, interval:1h"
    records = run(q)
    for r in records:
        assert r["interval"] == str(3600 * 10**9)
        assert r["timeframe"] == {
            "start": "2026-01-01T06:00:00.000000000Z",
            "end": "2026-01-01T12:00:00.000000000Z",
        }
        bins = Counter(
            int((e["timestamp"] - start) // timedelta(hours=1))
            for e in EVENTS
            if e["event.provider"] == r["event.provider"] and e["timestamp"] >= start
        )
        assert r["count()"] == [str(bins[i]) if bins[i] else None for i in range(6)]
        assert r["zero"] == [str(bins[i]) for i in range(6)]


def test_make_timeseries_default_interval() -> None:
    from threatlake.query.timeseries import series_interval

    assert series_interval(timedelta(hours=2), 120) == timedelta(minutes=1)
    assert series_interval(timedelta(days=1), 120) == timedelta(minutes=15)
    assert series_interval(timedelta(days=7), 120) == timedelta(hours=2)
    assert series_interval(timedelta(days=365), 120) == timedelta(days=4)


def test_make_timeseries_over_the_day(run: Run) -> None:
    (record,) = run(F + " | makeTimeseries c = count()")
    assert record["interval"] == str(15 * 60 * 10**9) and len(record["c"]) == 96
    assert sum(int(v) for v in record["c"] if v is not None) == len(EVENTS)


def test_make_timeseries_no_input(run: Run) -> None:
    assert run(F + ' | filter event.id == "none" | makeTimeseries count()') == []
    (record,) = run(F + ' | filter event.id == "none" | makeTimeseries count(), nonempty:true')
    assert set(record["count()"]) == {None}


def test_in_sub_query_and_in_list(run: Run) -> None:
    critical = {e["object.id"] for e in EVENTS if e["dt.security.risk.level"] == "CRITICAL"}
    expected = sum(1 for e in EVENTS if e["object.id"] in critical)
    q = (
        F
        + ' | filter object.id in [fetch security.events | filter dt.security.risk.level == "CRITICAL" | fields object.id]'
    )
    assert run(q + " | summarize count()") == [{"count()": str(expected)}]
    expected = sum(1 for e in EVENTS if e["dt.security.risk.level"] in ("LOW", "HIGH"))
    assert run(F + ' | filter in(dt.security.risk.level, {"LOW", "HIGH"}) | summarize count()')[0][
        "count()"
    ] == str(expected)


def test_contains_is_case_sensitive_unless_asked(run: Run) -> None:
    sensitive = sum(1 for e in EVENTS if "Probe" in e["finding.title"])
    insensitive = sum(1 for e in EVENTS if "probe" in e["finding.title"].lower())
    assert run(F + ' | filter contains(finding.title, "probe") | summarize count()')[0]["count()"] == "0"
    assert run(F + ' | filter contains(finding.title, "Probe") | summarize count()')[0]["count()"] == str(
        sensitive
    )
    q = F + ' | filter contains(finding.title, "PROBE", caseSensitive:false) | summarize count()'
    assert run(q)[0]["count()"] == str(insensitive)
    assert run(F + ' | filter finding.title ~ "PROBE" | summarize count()')[0]["count()"] == str(insensitive)
    assert run(F + ' | filter matchesValue(event.provider, "amazon guardduty") | summarize count()')[0][
        "count()"
    ] == str(sum(1 for e in EVENTS if e["event.provider"] == "Amazon GuardDuty"))


def test_expand_drops_empty_and_null_arrays(run: Run) -> None:
    expected = [(e["event.id"], ip) for e in EVENTS for ip in (e["actor.ips"] or [])]
    records = run(F + " | expand actor.ips | fields event.id, actor.ips")
    assert sorted((r["event.id"], r["actor.ips"]) for r in records) == sorted(expected)
    records = run(F + " | expand ip = actor.ips | fields event.id, ip")
    assert len(records) == len(expected)


def test_parse_json(run: Run) -> None:
    records = run(
        F + ' | parse dt.raw_data, "JSON:raw" | fields event.id, sev = raw[severity], t = raw[resource][type]'
    )
    by_id = {e["event.id"]: e for e in EVENTS}
    for r in records:
        assert r["sev"] == str(int(by_id[r["event.id"]]["event.id"][1:]) % 9) and r["t"] == "Instance"
    q = F + ' | parse dt.raw_data, "JSON:raw" | filter toLong(raw[severity]) > 6 | summarize count()'
    assert run(q)[0]["count()"] == str(sum(1 for i in range(30) if i % 9 > 6))


def test_lookup_first_match_with_prefix(run: Run) -> None:
    q = (
        F + " | fields event.id, object.id"
        " | lookup [fetch security.events | filter isNotNull(vulnerability.id) | fields object.id, vulnerability.id],"
        " sourceField:object.id, lookupField:object.id"
    )
    records = run(q)
    assert len(records) == len(EVENTS)  # one row per left record: first match only
    vulnerable = {e["object.id"]: set() for e in EVENTS if e["vulnerability.id"]}
    for e in EVENTS:
        if e["vulnerability.id"]:
            vulnerable[e["object.id"]].add(e["vulnerability.id"])
    for r in records:
        oid = {e["event.id"]: e["object.id"] for e in EVENTS}[r["event.id"]]
        if oid in vulnerable:
            assert r["lookup.vulnerability.id"] in vulnerable[oid] and r["lookup.object.id"] == oid
        else:
            assert r["lookup.vulnerability.id"] is None


def test_join_inner_left_outer_and_null_keys(run: Run) -> None:
    sub = "[fetch security.events | filter isNotNull(aws.account.id) | summarize n = count(), by:{aws.account.id}]"
    per_account = Counter(e["aws.account.id"] for e in EVENTS if e["aws.account.id"])
    inner = run(F + f" | fields event.id, aws.account.id | join {sub}, on:{{aws.account.id}}")
    assert len(inner) == sum(1 for e in EVENTS if e["aws.account.id"])  # null keys never match
    assert all(r["right.n"] == str(per_account[r["aws.account.id"]]) for r in inner)
    outer = run(
        F
        + f" | fields event.id, aws.account.id | join {sub}, on:{{left[aws.account.id] == right[aws.account.id]}}, kind:leftOuter"
    )
    assert len(outer) == len(EVENTS)


def test_append(run: Run) -> None:
    records = run(F + " | fields event.id | limit 3 | append [fetch dt.system.buckets | fields name]")
    assert len(records) == 5 and {r["name"] for r in records[3:]} == {
        "default_securityevents",
        "custom_bucket",
    }


def test_numbers(run: Run) -> None:
    q = F + (
        " | limit 1 | fields a = round(-0.5), b = round(0.5), c = round(-1.5), d = round(2.5), e = 7 / 2,"
        " f = -7 / 2, g = 7.0 / 2, h = 1 / 0, i = round(1.25, decimals:1), j = 7 % 3"
    )
    assert run(q) == [
        {
            "a": 0.0,
            "b": 1.0,
            "c": -1.0,
            "d": 3.0,
            "e": "3",
            "f": "-3",
            "g": 3.5,
            "h": None,
            "i": 1.3,
            "j": "1",
        }
    ]


def test_time(run: Run) -> None:
    q = F + (
        ' | limit 1 | fields b = bin(toTimestamp("2026-01-01T11:53:00Z"), 1h), a = toTimestamp("2026-01-01T11:53:00Z") @ 1d,'
        ' d = now() - toTimestamp("2026-01-01T11:00:00Z"), h = getHour(now()), f = formatTimestamp(now(), format:"yyyy-MM-dd HH")'
    )
    assert run(q) == [
        {
            "b": "2026-01-01T11:00:00.000000000Z",
            "a": "2026-01-01T00:00:00.000000000Z",
            "d": str(3600 * 10**9),
            "h": "12",
            "f": "2026-01-01 12",
        }
    ]


def test_sort_nulls_last_and_stable(run: Run) -> None:
    records = run(
        F + " | sort event.id desc | sort dt.security.risk.score | fields event.id, dt.security.risk.score"
    )
    expected = sorted(
        sorted(EVENTS, key=lambda e: e["event.id"], reverse=True),
        key=lambda e: (e["dt.security.risk.score"] is None, e["dt.security.risk.score"] or 0),
    )
    assert [r["event.id"] for r in records] == [e["event.id"] for e in expected]


def test_iany_and_ip_in(run: Run) -> None:
    assert run(F + ' | filter iAny(actor.ips[] == "10.0.0.3") | fields event.id') == [{"event.id": "e03"}]
    q = F + ' | filter ipIn(actor.ips, "198.51.100.0/24") | summarize count()'
    assert run(q)[0]["count()"] == str(sum(1 for e in EVENTS if e["actor.ips"]))


def test_extra_fields_and_unknown_fields(run: Run) -> None:
    expected = sorted(e["event.id"] for e in EVENTS if e["extra"].get("service.count", -1) > 10)
    assert (
        sorted(r["event.id"] for r in run(F + " | filter service.count > 10 | fields event.id")) == expected
    )
    assert run(F + " | filter isNotNull(no.such.field) | summarize count()") == [{"count()": "0"}]
    (first,) = run(F + ' | filter event.id == "e01"')
    assert (
        first["service.count"] == "2"
        and first["service.action"] == "PORT_PROBE"
        and "aws.region" not in first
    )


def test_search(run: Run) -> None:
    expected = sum(1 for e in EVENTS if "port probe" in e["finding.title"].lower())
    assert run(F + ' | search "PORT PROBE" | summarize count()') == [{"count()": str(expected)}]


def test_truncation_notification(store: duckdb.DuckDBPyConnection) -> None:
    query = compile_query(
        F + " | fields event.id", now=NOW, default_from=NOW - timedelta(days=1), max_records=5
    )
    result = to_result(query, store.sql(query.sql, params=list(query.params)).to_arrow_table())
    assert len(result["records"]) == 5 and result["metadata"]["grail"]["notifications"]
    assert result["types"] == [{"indexRange": [0, 4], "mappings": {"event.id": {"type": "string"}}}]


def test_dropped_field_is_an_error() -> None:
    with pytest.raises(QueryError, match=r"'finding.count' was removed.*line 1, column 50"):
        compile_query(F + " | fields event.id | filter finding.count > 1", now=NOW)
    with pytest.raises(QueryError, match="did you mean 'total'"):
        compile_query(F + " | summarize total = count() | filter totl > 1", now=NOW)


SEED_DETECTIONS = (
    'fetch security.events | filter dt.system.bucket == "default_securityevents" | filter event.kind == "SECURITY_EVENT"'
    ' and event.provider == "Amazon GuardDuty" and event.type == "DETECTION_FINDING"'
)
SEED_WORKFLOW = (
    'fetch security.events | filter event.type == "VULNERABILITY_FINDING" | summarize {findings = collectArray('
    "record(timestamp, vulnerability.id, dt.security.risk.level))}, by:{object.id, object.name} | expand findings"
    " | dedup {object.id, findings[vulnerability.id]}, sort:{findings[timestamp] desc}"
)


def test_seed_detection_query(run: Run) -> None:
    expected = {
        e["event.id"]
        for e in EVENTS
        if e["dt.system.bucket"] == "default_securityevents"
        and e["event.provider"] == "Amazon GuardDuty"
        and e["event.type"] == "DETECTION_FINDING"
    }
    assert {r["event.id"] for r in run(SEED_DETECTIONS)} == expected


def test_seed_workflow_query(run: Run) -> None:
    latest: dict[tuple[str, str], datetime] = {}
    for e in EVENTS:
        if e["event.type"] == "VULNERABILITY_FINDING":
            key = (e["object.id"], e["vulnerability.id"])
            latest[key] = max(latest.get(key, e["timestamp"]), e["timestamp"])
    records = run(SEED_WORKFLOW)
    got = {(r["object.id"], r["findings"]["vulnerability.id"]): r["findings"]["timestamp"] for r in records}
    assert got == {k: v.strftime("%Y-%m-%dT%H:%M:%S.000000000Z") for k, v in latest.items()}
