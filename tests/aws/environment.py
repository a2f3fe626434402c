"""AWS for the tests, never the real one: moto in server mode on 127.0.0.1, and an in-memory GuardDuty.

Fixtures live here (not in a conftest) so that ``tests/cli/test_backfill.py`` can import them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import golden
from tests.aws.fakes import FakeGuardDuty

SAMPLES = golden.SAMPLES


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials, no shared config, no instance metadata: nothing can reach a real account."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hub(moto_endpoint: str, aws_env: None) -> Iterator[Any]:
    """A function returning a Security Hub client on moto for a region; moto's state is reset after."""
    import urllib.request

    import boto3
    from botocore.config import Config

    def client(region: str = "us-east-1") -> Any:
        # Some samples carry members this botocore's model does not know: moto keeps them as sent.
        config = Config(parameter_validation=False)
        return boto3.client("securityhub", region_name=region, endpoint_url=moto_endpoint, config=config)

    yield client
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))


@pytest.fixture
def fake_guardduty() -> FakeGuardDuty:
    return FakeGuardDuty()


def asff_findings() -> list[dict[str, Any]]:
    """Every ASFF finding of the Security Hub samples (bare, in EventBridge events, in API responses)."""
    import orjson

    from threatlake.sources import Finding
    from threatlake.sources.envelope import unwrap

    findings = []
    for path in sorted(SAMPLES.glob("securityhub/*.json")):
        findings += [
            item.raw for item in unwrap(orjson.loads(path.read_bytes())) if isinstance(item, Finding)
        ]
    return findings


def import_findings(client: Any, findings: list[dict[str, Any]]) -> None:
    """BatchImportFindings, 100 at a time (the API limit)."""
    for start in range(0, len(findings), 100):
        result = client.batch_import_findings(Findings=findings[start : start + 100])
        assert result["FailedCount"] == 0, result["FailedFindings"]
