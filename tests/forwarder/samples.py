"""The one loader of sample EventBridge events for the forwarder and deploy tests.

Redistributable samples live in ``threatlake/samples``; ``../shared/samples`` beside the checkout adds the
ones whose licence keeps them out of the repository (the Security Hub "Findings Imported V2" event among them)
when it is present.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests import golden

FIXTURES = golden.SAMPLES
SHARED = Path(__file__).resolve().parents[3] / "shared" / "samples"


def load(relative: str) -> Any:
    """One fixture file by its path under ``threatlake/samples``."""
    return json.loads((FIXTURES / relative).read_text())


def eventbridge_samples() -> dict[str, dict[str, Any]]:
    """Every sample file that is one whole EventBridge event, by file name (repository copies first)."""
    found: dict[str, dict[str, Any]] = {}
    for root in (FIXTURES, SHARED):
        for path in sorted(root.rglob("*.json")) if root.is_dir() else []:
            if path.name in found:
                continue
            document = json.loads(path.read_text())
            if isinstance(document, dict) and {"source", "detail-type", "detail"} <= document.keys():
                found[path.name] = document
    return found


def real_findings() -> list[dict[str, Any]]:
    """Twenty distinct real ASFF findings (Inspector, ECR image CVEs)."""
    findings: list[dict[str, Any]] = load(
        "securityhub/custodian-getfindings-inspector-ecr-cve-20-findings.json"
    )["data"]["Findings"]
    return findings


def securityhub_event(findings: list[Any], event_id: str = "sh-test") -> dict[str, Any]:
    """A real "Security Hub Findings - Imported" envelope holding ``findings`` (any values, bad ones too)."""
    event = copy.deepcopy(load("securityhub/asr-eventbridge-imported-cis-1.3-control-failed.json"))
    event["id"] = event_id
    event["detail"]["findings"] = findings
    return event


def guardduty_events() -> list[dict[str, Any]]:
    """Every whole GuardDuty EventBridge event among the repository's fixtures."""
    return [
        json.loads(path.read_text()) for path in sorted((FIXTURES / "guardduty").glob("eventbridge-*.json"))
    ]
