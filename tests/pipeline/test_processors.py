"""Processors: pipeline → one SQL statement (golden one-liners), and what remains when it runs on a batch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from threatlake.errors import ConfigError
from threatlake.model import Event
from threatlake.pipeline.definitions import PipelineError, parse_pipeline
from threatlake.pipeline.mapping import IngestContext, map_bytes
from threatlake.pipeline.processors import IDENTITY, CompiledPipeline, compile_pipeline
from threatlake.pipeline.registry import Pipelines, load_pipelines
from threatlake.store.arrow import ARROW_SCHEMA, to_table
from threatlake.store.batch import BatchExecutor

FINDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "findings"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
T = "2026-05-01T00:00:00.000000000Z"


def pipeline(processors: str, *, endpoint: str = "builtin") -> CompiledPipeline:
    text = f"name: p\nendpoint: {endpoint}\nprocessors:\n{processors}"
    return compile_pipeline(parse_pipeline(text, "p.yaml"))


@pytest.fixture(scope="module")
def executor() -> Iterator[BatchExecutor]:
    with BatchExecutor() as runner:
        yield runner


@pytest.fixture(scope="module")
def mapped() -> list[Event]:
    ctx = IngestContext(received_at=NOW)
    events: list[Event] = []
    for path in sorted(FINDINGS.rglob("*.json")):
        events += map_bytes(path.read_bytes(), ctx, path.name).events
    assert len(events) > 50
    return events


def event(eid: str, **fields: Any) -> Event:
    return {"event.id": eid, "timestamp": T, "dt.system.bucket": "default_securityevents", **fields}


def run(p: CompiledPipeline, events: list[Event], runner: BatchExecutor) -> tuple[list[Event], int]:
    out = p.apply(events, runner, now=NOW)
    return out.events, out.dropped


# -- compile: golden one-liners ---------------------------------------------------------------------------

# fmt: off
GOLDEN = [
    ("- {type: drop, condition: 'dt.security.risk.level == \"NONE\"'}",
     'SELECT * FROM batch WHERE NOT COALESCE(("dt.security.risk.level" = $1), FALSE)', ("NONE",)),
    ("- {type: filter, condition: 'event.type == \"VULNERABILITY_FINDING\"'}",
     'SELECT * FROM batch WHERE "event.type" = $1', ("VULNERABILITY_FINDING",)),
    ("- {type: fieldsAdd, fields: {finding.title: lower(finding.title)}}",
     'SELECT * REPLACE (LOWER("finding.title") AS "finding.title") FROM batch', ()),
    ("- {type: fieldsAdd, fields: {team: '\"sec\"'}}",
     """SELECT * REPLACE (NULLIF(CAST(JSON_MERGE_PATCH(COALESCE("extra", '{}'),"""
     """ JSON_OBJECT($1, TO_JSON($2))) AS TEXT), '{}') AS "extra") FROM batch""", ("team", "sec")),
    ("- {type: fieldsRemove, fields: [finding.description]}",
     'SELECT * REPLACE (CAST(NULL AS TEXT) AS "finding.description") FROM batch', ()),
    ("- {type: fieldsRemove, fields: [team]}",
     """SELECT * REPLACE (NULLIF(CAST(JSON_MERGE_PATCH("extra", JSON_OBJECT($1, NULL)) AS TEXT), '{}')"""
     """ AS "extra") FROM batch""", ("team",)),
    ("- {type: route, condition: 'aws.account.id == \"1\"', bucket: long_retention}",
     'SELECT * REPLACE (CASE WHEN "aws.account.id" = $1 THEN $2 ELSE "dt.system.bucket" END'
     ' AS "dt.system.bucket") FROM batch', ("1", "long_retention")),
    ("- {type: drop, condition: 'finding.score > 8'}\n"
     "- {type: fieldsAdd, fields: {finding.score: finding.score + 1}}",
     'WITH s1 AS (SELECT * FROM batch WHERE NOT COALESCE(("finding.score" > CAST($1 AS BIGINT)), FALSE))'
     ' SELECT * REPLACE ("finding.score" + CAST($2 AS BIGINT) AS "finding.score") FROM s1', (8, 1)),
]
# fmt: on


@pytest.mark.parametrize(("processors", "sql", "params"), GOLDEN)
def test_compile(processors: str, sql: str, params: tuple[object, ...]) -> None:
    p = pipeline(processors)
    assert (p.sql, p.params) == (sql, params)


def test_no_processors_is_a_noop_without_sql(executor: BatchExecutor) -> None:
    p = compile_pipeline(parse_pipeline("name: p", "p.yaml"))
    assert p.noop and p.sql is None
    events = [event("a")]
    assert p.apply(events, executor, now=NOW).events is events  # not even copied
    assert IDENTITY.noop


def test_now_is_bound_at_apply_time(executor: BatchExecutor) -> None:
    p = pipeline("- {type: fieldsAdd, fields: {processed: now()}}")
    out, _ = run(p, [event("a")], executor)
    assert out[0]["processed"].startswith("2026-06-01 12:00:00")


# -- semantics on real batches ----------------------------------------------------------------------------


def test_keep_only_vulnerability_findings(mapped: list[Event], executor: BatchExecutor) -> None:
    p = pipeline('- type: filter\n  condition: event.type == "VULNERABILITY_FINDING"')
    out, dropped = run(p, mapped, executor)
    expected = {e["event.id"] for e in mapped if e.get("event.type") == "VULNERABILITY_FINDING"}
    assert {e["event.id"] for e in out} == expected and expected
    assert dropped == len(mapped) - len(expected)


def test_drop_informational(mapped: list[Event], executor: BatchExecutor) -> None:
    p = pipeline('- type: drop\n  condition: dt.security.risk.level == "NONE"')
    out, dropped = run(p, mapped, executor)
    assert dropped == 1
    assert {e["event.id"] for e in out} == {
        e["event.id"] for e in mapped if e.get("dt.security.risk.level") != "NONE"
    }


def test_untouched_events_come_back_identical(mapped: list[Event], executor: BatchExecutor) -> None:
    p = pipeline("- {type: drop, condition: 'false'}")
    out, dropped = run(p, mapped, executor)
    assert dropped == 0
    assert sorted(out, key=lambda e: e["event.id"]) == sorted(mapped, key=lambda e: e["event.id"])


def test_null_condition_semantics(executor: BatchExecutor) -> None:
    events = [event("a", **{"finding.score": 9.0}), event("b", **{"finding.score": 1.0}), event("c")]
    drop = pipeline("- {type: drop, condition: 'finding.score > 5'}")
    keep = pipeline("- {type: filter, condition: 'finding.score <= 5'}")
    route = pipeline("- {type: route, condition: 'finding.score > 5', bucket: hot}")
    assert [e["event.id"] for e in run(drop, events, executor)[0]] == ["b", "c"]  # null: not dropped
    assert [e["event.id"] for e in run(keep, events, executor)[0]] == ["b"]  # null: not kept
    routed = {e["event.id"]: e["dt.system.bucket"] for e in run(route, events, executor)[0]}
    assert routed == {"a": "hot", "b": "default_securityevents", "c": "default_securityevents"}


def test_fields_add_expressions(executor: BatchExecutor) -> None:
    p = pipeline(
        "- type: fieldsAdd\n  fields:\n"
        "    finding.title: lower(finding.title)\n"
        '    label: concat(aws.account.id, "/", finding.severity)\n'
        '    urgent: \'if(finding.score >= 7, "yes", else: "no")\'\n'
        "    label.upper: upper(label)\n"
        "    finding.score: finding.score * 2\n"
    )
    events = [
        event(
            "a",
            **{
                "finding.title": "BIG",
                "aws.account.id": "1",
                "finding.severity": "High",
                "finding.score": 8.0,
                "other": [1, 2],
            },
        )
    ]
    [out], _ = run(p, events, executor)
    assert out["finding.title"] == "big" and out["finding.score"] == 16.0
    assert (out["label"], out["label.upper"], out["urgent"]) == ("1/High", "1/HIGH", "yes")
    assert out["other"] == [1, 2]  # other extra keys survive


def test_fields_remove_names_and_patterns(mapped: list[Event], executor: BatchExecutor) -> None:
    p = pipeline('- type: fieldsRemove\n  fields: ["aws.*", dt.raw_data, "k8s.*", finding.description]')
    out, _ = run(p, mapped, executor)
    assert len(out) == len(mapped)
    for e in out:
        assert not [
            k for k in e if k.startswith(("aws.", "k8s.")) or k in ("dt.raw_data", "finding.description")
        ]
    by_id = {e["event.id"]: e for e in out}
    for before in mapped:  # everything else is as it was
        kept = {k: v for k, v in before.items() if not k.startswith(("aws.", "k8s."))}
        kept.pop("dt.raw_data"), kept.pop("finding.description", None)
        assert by_id[before["event.id"]] == kept


def test_fields_rename(executor: BatchExecutor) -> None:
    p = pipeline(
        "- type: fieldsRename\n  fields: {owner.team: team, finding.title: event.name, n: finding.score}"
    )
    events = [event("a", team="sec", **{"event.name": "N", "finding.score": 3.0})]
    [out], _ = run(p, events, executor)
    assert (out["owner.team"], out["finding.title"], out["n"]) == ("sec", "N", 3.0)
    assert not {"team", "event.name", "finding.score"} & set(out)


def test_rename_type_mismatch_is_located() -> None:
    with pytest.raises(PipelineError) as caught:
        pipeline("- type: fieldsRename\n  fields: {finding.score: event.name}")
    assert "processors[0].fields.finding.score" in str(caught.value)
    assert "holds a double but the value is a string" in str(caught.value)


def test_route_one_account_to_long_retention(mapped: list[Event], executor: BatchExecutor) -> None:
    events = [{**e, "aws.account.id": "111111111111"} if i % 3 == 0 else e for i, e in enumerate(mapped)]
    p = pipeline('- type: route\n  condition: aws.account.id == "111111111111"\n  bucket: long_retention')
    out, dropped = run(p, events, executor)
    assert dropped == 0
    for e in out:
        long = e["aws.account.id"] == "111111111111"
        assert e["dt.system.bucket"] == ("long_retention" if long else "default_securityevents")
    assert sum(e["dt.system.bucket"] == "long_retention" for e in out) == len(events[::3])


def test_chained_processors(mapped: list[Event], executor: BatchExecutor) -> None:
    p = pipeline(
        "- {type: filter, condition: 'event.type == \"DETECTION_FINDING\"'}\n"
        "- {type: drop, condition: 'dt.security.risk.level == \"LOW\"'}\n"
        "- type: fieldsAdd\n"
        '  fields: {triage: \'if(dt.security.risk.level == "CRITICAL", "page", else: "queue")\'}\n'
        "- {type: route, condition: 'triage == \"page\"', bucket: hot}\n"
        "- {type: fieldsRemove, fields: [dt.raw_data]}\n"
    )
    out, dropped = run(p, mapped, executor)
    expected = [
        e
        for e in mapped
        if e.get("event.type") == "DETECTION_FINDING" and e.get("dt.security.risk.level") != "LOW"
    ]
    assert len(out) == len(expected) and dropped == len(mapped) - len(expected)
    for e in out:
        critical = e["dt.security.risk.level"] == "CRITICAL"
        assert e["triage"] == ("page" if critical else "queue")
        assert e["dt.system.bucket"] == ("hot" if critical else "default_securityevents")
        assert "dt.raw_data" not in e


def test_apply_table_keeps_the_events_schema(mapped: list[Event], executor: BatchExecutor) -> None:
    p = pipeline(
        "- {type: fieldsAdd, fields: {x: '1'}}\n"
        "- {type: drop, condition: 'event.type == \"COMPLIANCE_FINDING\"'}"
    )
    out = p.apply_table(to_table(mapped), executor, now=NOW)
    assert out.table.schema.equals(ARROW_SCHEMA) and out.dropped == 2
    assert p.apply_table(ARROW_SCHEMA.empty_table(), executor, now=NOW).dropped == 0


# -- endpoints --------------------------------------------------------------------------------------------


def test_endpoint_binding() -> None:
    builtin = pipeline("- {type: drop, condition: 'true'}")
    custom = compile_pipeline(parse_pipeline("name: c\nendpoint: partner\n", "c.yaml"))
    pipelines = Pipelines([builtin, custom])
    assert pipelines.for_endpoint(None) is builtin and pipelines.for_endpoint("builtin") is builtin
    assert pipelines.for_endpoint("partner") is custom
    assert pipelines.for_endpoint("unbound") is builtin  # an unbound custom endpoint runs the built-in one
    assert Pipelines().for_endpoint("x") is IDENTITY and len(pipelines) == 2


def test_two_pipelines_on_one_endpoint() -> None:
    with pytest.raises(PipelineError, match="Endpoint 'builtin' already runs pipeline 'a'"):
        load_pipelines([("a", "name: a"), ("b", "name: b")])


def test_load_reports_every_file() -> None:
    with pytest.raises(ConfigError) as caught:
        load_pipelines(
            [("a", "name: a\nprocessors: 3"), ("b", "processors:\n  - {type: drop, condition: 'lowr(x)'}")]
        )
    assert str(caught.value).splitlines() == [
        "pipelines/a.yaml:2:13: processors: Expected a list of processors",
        "pipelines/b.yaml:2:29: processors[0].condition: Unknown function 'lowr' at line 1, column 1;"
        " did you mean 'lower'?",
    ]


def test_every_processor_type_is_read_and_compiled() -> None:
    """One table of processor types: each reads from YAML (definitions) and compiles (processors)."""
    from threatlake.pipeline.definitions import PROCESSORS
    from threatlake.pipeline.processors import COMPILERS

    assert list(COMPILERS) == list(PROCESSORS)
