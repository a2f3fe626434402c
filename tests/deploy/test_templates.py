"""The CloudFormation templates: cfn-lint clean, and their EventBridge rules select the right sample events.

Both templates (Lambda forwarder and API destination) must forward the same events, so every pattern test runs
over both.
"""

from __future__ import annotations

import copy
import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.cfn import DEPLOY, TEMPLATES, Stack, load
from tests.deploy.eventpattern import matches
from tests.forwarder.samples import eventbridge_samples
from tests.forwarder.samples import load as load_sample

SAMPLES = eventbridge_samples()
RULES = {"GuardDuty": "GuardDutyRule", "SecurityHub": "SecurityHubRule", "SecurityHubV2": "SecurityHubV2Rule"}
TYPES = ("Vulnerability", "Detection", "Compliance")
TOGGLES = {"Vulnerability": "SecurityHubVulnerabilityFindings", "Detection": "SecurityHubDetectionFindings"}
TOGGLES["Compliance"] = "SecurityHubComplianceFindings"


def test_both_templates_are_there() -> None:
    assert [p.name for p in TEMPLATES] == ["api-destination.yaml", "forwarder.yaml"]


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), *map(str, TEMPLATES)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def imported(
    finding_file: str, envelope: str = "asr-eventbridge-imported-cis-1.3-control-failed.json"
) -> Any:
    """A real ASFF finding in a real "Security Hub Findings - Imported" envelope."""
    document = load_sample(f"securityhub/{finding_file}")
    findings = document["data"]["Findings"] if "data" in document else [document]
    event = copy.deepcopy(SAMPLES[envelope])
    event["detail"]["findings"] = findings
    return event


def ocsf(class_uid: int) -> dict[str, Any]:
    """A minimal "Findings Imported V2" event of one OCSF finding class."""
    return {
        "version": "0",
        "id": f"v2-{class_uid}",
        "detail-type": "Findings Imported V2",
        "source": "aws.securityhub",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"findings": [{"class_uid": class_uid, "metadata": {"version": "1.5.0"}}]},
    }


# (event, the rule that must take it, its finding type or None when no type filter can select it)
CASES: dict[str, tuple[dict[str, Any], str, str | None]] = {
    name: (event, "GuardDuty", None) for name, event in SAMPLES.items() if event["source"] == "aws.guardduty"
}
CASES.update(
    {
        name: (event, "SecurityHub", "Compliance")
        for name, event in SAMPLES.items()
        if event["detail-type"] == "Security Hub Findings - Imported"
    }
)
CASES.update(
    {
        "imported-inspector-cve": (
            imported("custodian-getfindings-inspector-ecr-cve-critical.json"),
            "SecurityHub",
            "Vulnerability",
        ),
        "imported-guardduty-ttps": (
            imported("custodian-getfindings-guardduty-iam-accesskey-5-findings.json"),
            "SecurityHub",
            "Detection",
        ),
        "imported-effects": (
            imported("asr-asff-fsbp-ec2.1-effects-data-exposure-critical.json"),
            "SecurityHub",
            "Detection",
        ),
        "imported-access-analyzer": (
            imported("docs-typical-finding-iam-access-analyzer.json"),
            "SecurityHub",
            None,
        ),
        "ocsf-vulnerability": (ocsf(2002), "SecurityHubV2", "Vulnerability"),
        "ocsf-compliance": (ocsf(2003), "SecurityHubV2", "Compliance"),
        "ocsf-detection": (ocsf(2004), "SecurityHubV2", "Detection"),
    }
)
CASES.update(
    {
        name: (event, "SecurityHubV2", "Detection")
        for name, event in SAMPLES.items()
        if event["detail-type"] == "Findings Imported V2"
    }
)
# Sample events no rule takes: Security Hub custom actions are a person's click, not a finding feed.
UNFORWARDED = {name: event for name, event in SAMPLES.items() if name not in CASES}

# Every combination of the three finding-type toggles that the templates' Rules allow (at least one on).
COMBINATIONS = [c for c in itertools.product((True, False), repeat=3) if any(c)]


def rules(stack: Stack) -> dict[str, dict[str, Any]]:
    resources = stack.resources("AWS::Events::Rule")
    return {source: resources[name]["EventPattern"] for source, name in RULES.items() if name in resources}


def everything_on(template: dict[str, Any], **overrides: str) -> Stack:
    return Stack(
        template, ForwardGuardDuty="true", ForwardSecurityHub="true", ForwardSecurityHubV2="true", **overrides
    )


def test_the_cases_cover_every_source_and_type() -> None:
    assert {rule for _, rule, _ in CASES.values()} == set(RULES)
    assert {kind for _, _, kind in CASES.values()} == {*TYPES, None}
    assert UNFORWARDED and all(
        e["detail-type"] == "Security Hub Findings - Custom Action" for e in UNFORWARDED.values()
    )


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_defaults_forward_guardduty_and_security_hub(path: Path) -> None:
    patterns = rules(Stack(load(path)))
    assert set(patterns) == {"GuardDuty", "SecurityHub"}  # Security Hub v2 (OCSF) is opt-in
    assert "detail" not in patterns["SecurityHub"]  # all types on: no type filter at all


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "combination", COMBINATIONS, ids=lambda c: "".join("VDC"[i] if on else "-" for i, on in enumerate(c))
)
def test_each_event_goes_to_its_rule_only_when_its_type_is_on(
    path: Path, combination: tuple[bool, ...]
) -> None:
    enabled = {kind for kind, on in zip(TYPES, combination, strict=True) if on}
    toggles = {TOGGLES[kind]: str(kind in enabled).lower() for kind in TYPES}
    patterns = rules(everything_on(load(path), **toggles))
    filtered = enabled != set(TYPES)
    wrong = []
    for name, (event, rule, kind) in CASES.items():
        expected = {rule} if rule == "GuardDuty" or not filtered or kind in enabled else set()
        got = {source for source, pattern in patterns.items() if matches(pattern, event)}
        if got != expected:
            wrong.append(f"{name}: matched by {sorted(got)}, expected {sorted(expected)}")
    for name, event in UNFORWARDED.items():
        if any(matches(pattern, event) for pattern in patterns.values()):
            wrong.append(f"{name}: should match no rule")
    assert wrong == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
@pytest.mark.parametrize("source", sorted(RULES))
def test_a_source_turned_off_has_no_rule(path: Path, source: str) -> None:
    others = {f"Forward{s}": "true" for s in RULES if s != source}
    stack = Stack(load(path), **{f"Forward{source}": "false", **others})
    assert set(rules(stack)) == set(RULES) - {source}


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_rules_retry_and_dead_letter_to_the_queue(path: Path) -> None:
    for rule in everything_on(load(path)).resources("AWS::Events::Rule").values():
        [target] = rule["Targets"]
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_lambda_failures_go_to_the_dead_letter_queue_after_two_retries() -> None:
    stack = Stack(load(DEPLOY / "forwarder.yaml"))
    [config] = stack.resources("AWS::Lambda::EventInvokeConfig").values()
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }
    [queue] = stack.resources("AWS::SQS::Queue").values()
    assert queue["SqsManagedSseEnabled"] is True
    [alarm] = stack.resources("AWS::CloudWatch::Alarm").values()
    assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "ApproximateNumberOfMessagesVisible",
        "GreaterThanThreshold",
        0,
    )


SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:threatlake-AbCdEf"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("kms_key", ["", KEY])
def test_lambda_role_is_least_privilege(kms_key: str) -> None:
    stack = Stack(load(DEPLOY / "forwarder.yaml"), SecretArn=SECRET, SecretKmsKeyArn=kms_key)
    [role] = stack.resources("AWS::IAM::Role").values()
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert all(s["Effect"] == "Allow" for s in statements)
    granted = [(s["Action"], s["Resource"]) for s in statements]
    expected = [
        (["logs:CreateLogStream", "logs:PutLogEvents"], {"Fn::GetAtt": ["ForwarderLogGroup", "Arn"]}),
        ("secretsmanager:GetSecretValue", SECRET),
        ("sqs:SendMessage", {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}),
    ]
    if kms_key:  # only for a secret encrypted with a customer-managed key, and only through Secrets Manager
        expected.append(("kms:Decrypt", KEY))
        assert "kms:ViaService" in statements[-1]["Condition"]["StringEquals"]
    assert granted == expected


def test_lambda_environment_names_are_the_forwarders() -> None:
    from threatlake.forwarder.config import ENVIRONMENT

    [function] = Stack(load(DEPLOY / "forwarder.yaml")).resources("AWS::Lambda::Function").values()
    assert set(function["Environment"]["Variables"]) <= set(ENVIRONMENT)
    # rejected events go to the stack's own dead-letter queue (the role may send there: least privilege above)
    assert function["Environment"]["Variables"]["DEAD_LETTER_QUEUE_URL"] == {"Ref": "DeadLetterQueue"}
    assert function["Handler"] == "forwarder.handler.handler"
