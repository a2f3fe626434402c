"""The test matcher itself follows EventBridge's documented semantics, so the template tests can trust it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.eventpattern import matches

EVENT = {
    "source": "aws.securityhub",
    "detail-type": "Security Hub Findings - Imported",
    "detail": {
        "findings": [
            {"Types": ["Software and Configuration Checks/Vulnerabilities/CVE"], "class_uid": 2002},
            {"Types": ["TTPs/Discovery/Recon"], "Severity": {"Label": "HIGH"}},
        ]
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.securityhub"]}, True),
        ({"source": ["aws.guardduty"]}, False),
        ({"source": ["aws.securityhub"], "detail-type": ["GuardDuty Finding"]}, False),
        ({"detail": {"findings": {"Types": [{"prefix": "TTPs"}]}}}, True),  # any finding, any type
        ({"detail": {"findings": {"Types": [{"prefix": "Effects"}]}}}, False),
        (
            {"detail": {"findings": {"Types": [{"wildcard": "Software and Configuration Checks/*/CVE"}]}}},
            True,
        ),
        ({"detail": {"findings": {"Types": [{"wildcard": "*/Industry*"}]}}}, False),
        ({"detail": {"findings": {"Types": [{"suffix": "/Recon"}]}}}, True),
        ({"detail": {"findings": {"class_uid": [2002]}}}, True),
        ({"detail": {"findings": {"class_uid": [2003, 2004]}}}, False),
        ({"detail": {"findings": {"class_uid": ["2002"]}}}, False),  # strings and numbers differ
        ({"detail": {"findings": {"Severity": {"Label": [{"anything-but": ["LOW", "MEDIUM"]}]}}}}, True),
        ({"detail": {"findings": {"Severity": {"Label": [{"anything-but": "HIGH"}]}}}}, False),
        ({"detail": {"findings": {"Severity": {"Label": [{"exists": True}]}}}}, True),
        ({"detail": {"findings": {"Compliance": [{"exists": True}]}}}, False),
        ({"detail": {"findings": {"Compliance": [{"exists": False}]}}}, True),
        ({"detail-type": [{"equals-ignore-case": "security hub findings - imported"}]}, True),
    ],
)
def test_matcher(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected
