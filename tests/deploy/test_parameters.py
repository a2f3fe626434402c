"""Two names for the endpoint and for the secret: Threatlake's (IngestUrl, SecretArn) and the commercial
product's (DynatraceOpenPipelineEndpoint, AwsSecretArn), so its `aws cloudformation deploy` command works.

The command is read from docs/forwarder.md and its parameters validated the way CloudFormation validates them
(names, required values, patterns, then the template's Rules); the resolved stack then sends to that endpoint
with that secret.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.deploy.cfn import DEPLOY, TEMPLATES, Stack, load, validate

DOC = (Path(__file__).resolve().parents[2] / "docs" / "forwarder.md").read_text()
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:threatlake/ingest-token-AbCdEf"
URL = "https://abc12345.live.example.com/platform/ingest/v1/events.security"
PAIRS = {"url": ("IngestUrl", "DynatraceOpenPipelineEndpoint"), "secret": ("SecretArn", "AwsSecretArn")}


def documented_commercial_command() -> list[str]:
    """The `aws cloudformation deploy` command of the section on moving from the commercial product."""
    blocks = re.findall(r"```(?:sh)?\n(.*?)```", DOC, re.S)
    [block] = [b for b in blocks if '"DynatraceOpenPipelineEndpoint"=' in b]
    words = shlex.split(block.replace("\\\n", " "))
    starts = [i for i in range(len(words) - 2) if words[i : i + 3] == ["aws", "cloudformation", "deploy"]]
    assert starts, block
    return words[starts[-1] :]


def overrides(words: list[str]) -> dict[str, str]:
    values = words[words.index("--parameter-overrides") + 1 :]
    values = values[: next((i for i, w in enumerate(values) if w.startswith("--")), len(values))]
    return dict(value.split("=", 1) for value in values)


def test_the_commercial_deploy_command_validates_and_configures_the_function() -> None:
    words = documented_commercial_command()
    assert words[:3] == ["aws", "cloudformation", "deploy"]
    assert words[words.index("--capabilities") + 1] == "CAPABILITY_NAMED_IAM"
    assert words[words.index("--template-file") + 1] == "deploy/build/forwarder.packaged.yaml"
    given = overrides(words)
    assert set(given) == {"AwsSecretArn", "DynatraceOpenPipelineEndpoint"}
    template = load(DEPLOY / "forwarder.yaml")
    assert validate(template, given) == []
    stack = Stack(template, **given)
    [function] = stack.resources("AWS::Lambda::Function").values()
    variables = function["Environment"]["Variables"]
    assert variables["INGEST_URL"] == given["DynatraceOpenPipelineEndpoint"]
    assert variables["THREATLAKE_SECRET_ARN"] == given["AwsSecretArn"]
    [role] = stack.resources("AWS::IAM::Role").values()
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert {"Sid": "IngestToken", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue"} | {
        "Resource": given["AwsSecretArn"]
    } in statements


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
@pytest.mark.parametrize("url_name", PAIRS["url"])
@pytest.mark.parametrize("secret_name", PAIRS["secret"])
def test_either_name_of_each_pair_deploys_the_same_stack(path: Path, url_name: str, secret_name: str) -> None:
    template = load(path)
    given = {url_name: URL, secret_name: ARN}
    assert validate(template, given) == []
    reference = Stack(template, IngestUrl=URL, SecretArn=ARN)
    stack = Stack(template, **given)
    for kind in (
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::Events::ApiDestination",
        "AWS::Events::Connection",
    ):
        assert stack.resources(kind) == reference.resources(kind)
    resolved = str(
        [stack.resources(kind) for kind in ("AWS::Lambda::Function", "AWS::Events::ApiDestination")]
    )
    assert URL in resolved


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"SecretArn": ARN},
            "Give the ingest endpoint URL as IngestUrl or as DynatraceOpenPipelineEndpoint.",
        ),
        ({"IngestUrl": URL}, "Give the token's secret ARN as SecretArn or as AwsSecretArn."),
        ({"IngestUrl": URL, "DynatraceOpenPipelineEndpoint": URL, "SecretArn": ARN}, "not both"),
        ({"IngestUrl": URL, "SecretArn": ARN, "AwsSecretArn": ARN}, "not both"),
    ],
    ids=["no-endpoint", "no-secret", "both-endpoints", "both-secrets"],
)
def test_a_rule_refuses_neither_or_both_names_of_a_pair(
    path: Path, given: dict[str, str], message: str
) -> None:
    [problem] = validate(load(path), given)
    assert message in problem


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_values_are_still_checked_under_either_name(path: Path) -> None:
    template = load(path)
    assert validate(
        template, {"DynatraceOpenPipelineEndpoint": "http://plain.example.com", "AwsSecretArn": ARN}
    )
    assert validate(template, {"IngestUrl": URL, "AwsSecretArn": "not-an-arn"})
    assert validate(template, {"IngestUrl": URL, "SecretArn": ARN, "DynatraceUrl": URL}) == [
        "Parameters: [DynatraceUrl] do not exist in the template"
    ]
