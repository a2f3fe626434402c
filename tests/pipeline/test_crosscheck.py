"""Every event agrees with its raw finding on the contract's key fields, computed here independently of the
mappers (model.md §1-§4): ids, times, severity bands, routing, accounts and the affected object."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests import golden
from threatlake.model import Event

BANDS = ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"), (1.0, "LOW"), (0.0, "NONE"))
ASFF_LEVEL = {
    "CRITICAL": "CRITICAL",
    "HIGH": "HIGH",
    "MEDIUM": "MEDIUM",
    "LOW": "LOW",
    "INFORMATIONAL": "NONE",
}
LEVEL_SCORE = {"CRITICAL": 10.0, "HIGH": 8.9, "MEDIUM": 6.9, "LOW": 3.9, "NONE": 0.0}
ROUTES = (
    ("Software and Configuration Checks/Vulnerabilities", "VULNERABILITY_FINDING"),
    ("TTPs", "DETECTION_FINDING"),
    ("Effects", "DETECTION_FINDING"),
    ("Unusual Behaviors", "DETECTION_FINDING"),
    ("Software and Configuration Checks/Industry and Regulatory Standards", "COMPLIANCE_FINDING"),
    ("Sensitive Data Identifications", "DETECTION_FINDING"),
)


def _camel(node: Any) -> Any:
    if isinstance(node, dict):
        return {key[:1].lower() + key[1:]: _camel(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_camel(item) for item in node]
    return node


def _iso(value: Any) -> str:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
    else:  # epoch seconds, or milliseconds when too large to be seconds
        parsed = datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    return parsed.astimezone(UTC).isoformat(timespec="microseconds")[:26] + "000Z"


def _events() -> list[tuple[str, Event, dict[str, Any]]]:
    found = []
    for path in golden.inputs():
        for event in golden.map_file(path).events:
            found.append((path.name, event, orjson.loads(event["dt.raw_data"])))
    return found


EVENTS = _events()
GUARDDUTY = [(n, e, r) for n, e, r in EVENTS if e["event.provider"] == "Amazon GuardDuty"]
ASFF = [(n, e, r) for n, e, r in EVENTS if e["event.provider"] == "AWS Security Hub" and "SchemaVersion" in r]


def test_the_corpus_is_large_enough_to_mean_something() -> None:
    assert len(GUARDDUTY) >= 40
    assert len(ASFF) >= 60


@pytest.mark.parametrize(
    ("name", "event", "raw"), GUARDDUTY, ids=[f"{n}:{e['event.id'][:6]}" for n, e, _ in GUARDDUTY]
)
def test_guardduty_event_matches_its_finding(name: str, event: Event, raw: dict[str, Any]) -> None:
    raw = _camel(raw) if "SchemaVersion" in raw else raw
    assert event["finding.id"] == raw["id"]
    assert event["finding.type"] == event["detection.type"] == raw["type"]
    assert event["threat.purpose"] == raw["type"].split(":")[0]
    assert event["event.type"] == "DETECTION_FINDING"
    assert event["timestamp"] == _iso(raw["updatedAt"])
    assert event["finding.score"] == raw["severity"]
    level = next(label for floor, label in BANDS if raw["severity"] >= floor)
    assert event["dt.security.risk.level"] == event["finding.severity"] == level
    assert event["dt.security.risk.score"] == LEVEL_SCORE[level]  # the level's, as through Security Hub
    archived = (raw.get("service") or {}).get("archived") is True
    assert event["finding.status"] == ("ARCHIVED" if archived else "ACTIVE")
    assert event["aws.account.id"] == raw["accountId"]
    if "region" in raw:  # else the EventBridge envelope's region fills it
        assert event["aws.region"] == raw["region"]
    resource = raw.get("resource") or {}
    instance = resource.get("instanceDetails") or {}
    # A resource with only instance details is the instance; a finding with no resource is its account.
    rtype = resource.get("resourceType") or ("Instance" if set(resource) == {"instanceDetails"} else None)
    if not resource and not raw["type"].startswith("AttackSequence:"):
        assert (event["object.id"], event["object.type"]) == (
            f"AWS::::Account:{raw['accountId']}",
            "AwsAccount",
        )
    if rtype == "Instance" and instance.get("instanceId"):
        expected = f"arn:{raw.get('partition', 'aws')}:ec2:{event['aws.region']}:{raw['accountId']}:instance/"
        assert event["object.id"] == expected + instance["instanceId"]
        assert event["object.type"] == "AwsEc2Instance"
    if resource.get("resourceType") == "AccessKey":
        assert event["object.id"] == resource["accessKeyDetails"]["accessKeyId"]
    if event["object.type"] == "CONTAINER":
        assert event["object.id"] and event.get("container.name")


@pytest.mark.parametrize(("name", "event", "raw"), ASFF, ids=[f"{n}:{e['event.id'][:6]}" for n, e, _ in ASFF])
def test_asff_event_matches_its_finding(name: str, event: Event, raw: dict[str, Any]) -> None:
    assert event["finding.id"] == raw["Id"]
    provider = raw.get("FindingProviderFields") or {}
    types = raw.get("Types") or provider["Types"]  # as Security Hub: the provider's when the top has none
    assert event["finding.types"] == types
    assert event["finding.type"] == types[0]
    expected_type = next((kind for prefix, kind in ROUTES if (types[0] + "/").startswith(prefix + "/")), None)
    if expected_type is None and "/aws/macie" in raw["ProductArn"]:  # every Macie finding is a detection
        expected_type = "DETECTION_FINDING"
    assert event.get("event.type") == expected_type
    assert event["timestamp"] == _iso(raw["UpdatedAt"])
    assert event["aws.account.id"] == raw["AwsAccountId"]
    severity = raw.get("Severity") or provider.get("Severity") or {}
    if severity.get("Label"):
        level = ASFF_LEVEL[severity["Label"]]
    elif severity.get("Normalized") is not None:
        n = severity["Normalized"]
        level = (
            "CRITICAL"
            if n >= 90
            else "HIGH"
            if n >= 70
            else "MEDIUM"
            if n >= 40
            else "LOW"
            if n >= 1
            else "NONE"
        )
    else:
        level = "NOT_AVAILABLE"
    assert event["dt.security.risk.level"] == level
    assert event.get("dt.security.risk.score") == LEVEL_SCORE.get(level)
    resource_ids = {r["Id"] for r in raw["Resources"]}
    assert event["aws.resource.id"] in resource_ids
    kinds = {r["Id"]: r["Type"] for r in raw["Resources"]}
    if event.get("aws.resource.type") == "Container":  # a container target, whatever the format
        assert kinds[event["aws.resource.id"]] == "Container"
        assert (event["object.type"], event["container.id"]) == ("CONTAINER", event["aws.resource.id"])
    if expected_type == "COMPLIANCE_FINDING" and "Compliance" in raw:
        assert event["compliance.status"] == raw["Compliance"]["Status"]


def test_asff_splits_one_event_per_resource_and_package() -> None:
    by_finding: dict[str, list[Event]] = {}
    raws: dict[str, dict[str, Any]] = {}
    for _, event, raw in ASFF:
        by_finding.setdefault(raw["Id"], []).append(event)
        raws[raw["Id"]] = raw
    for finding_id, events in by_finding.items():
        raw = raws[finding_id]
        if events[0].get("event.type") == "VULNERABILITY_FINDING":
            packages = sum(
                max(1, len(v.get("VulnerablePackages") or [])) for v in raw.get("Vulnerabilities") or [{}]
            )
            assert len(events) == len(raw["Resources"]) * packages, finding_id
        elif events[0].get("event.type") is not None:
            assert len(events) == len(raw["Resources"]), finding_id
        assert len({e["event.id"] for e in events}) == len(events)
