"""Every normalization band edge of model.md §3."""

from __future__ import annotations

import pytest

from threatlake.model import LEVEL_SCORE, RiskLevel, asff_level, generic_level, guardduty_level, ocsf_level

C, H, M, L, N, NA = (
    RiskLevel.CRITICAL,
    RiskLevel.HIGH,
    RiskLevel.MEDIUM,
    RiskLevel.LOW,
    RiskLevel.NONE,
    RiskLevel.NOT_AVAILABLE,
)


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (0.0, N),
        (0.9, N),
        (1.0, L),
        (3.9, L),
        (4.0, M),
        (6.9, M),
        (7.0, H),
        (8.9, H),
        (9.0, C),
        (9.5, C),
        (10.0, C),
        (None, NA),
    ],
)
def test_guardduty_bands(severity: float | None, level: RiskLevel) -> None:
    assert guardduty_level(severity) is level


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, N),
        (0.09, N),
        (0.1, L),
        (3.9, L),
        (4.0, M),
        (6.9, M),
        (7.0, H),
        (8.9, H),
        (9.0, C),
        (10.0, C),
        (None, NA),
    ],
)
def test_generic_bands(score: float | None, level: RiskLevel) -> None:
    assert generic_level(score) is level


@pytest.mark.parametrize(
    ("label", "normalized", "level"),
    [
        ("CRITICAL", None, C),
        ("high", None, H),
        ("MEDIUM", 10, M),  # the label wins over Normalized
        ("LOW", None, L),
        ("INFORMATIONAL", None, N),
        (None, 100, C),
        (None, 90, C),
        (None, 89, H),
        (None, 70, H),
        (None, 69, M),
        (None, 40, M),
        (None, 39, L),
        (None, 1, L),
        (None, 0, N),
        (None, None, NA),
        ("BOGUS", 75, H),  # an unknown label falls back to Normalized
        ("", None, NA),
    ],
)
def test_asff_levels(label: str | None, normalized: float | None, level: RiskLevel) -> None:
    assert asff_level(label, normalized) is level


@pytest.mark.parametrize(
    ("severity_id", "caption", "level"),
    [
        (1, None, N),
        (2, "Low", L),
        (3, None, M),
        (4, None, H),
        (5, None, C),
        (6, None, C),
        (0, "High", H),
        (99, None, NA),
        (None, None, NA),
    ],
)
def test_ocsf_levels(severity_id: int | None, caption: str | None, level: RiskLevel) -> None:
    assert ocsf_level(severity_id, caption) is level


def test_level_scores() -> None:
    assert [LEVEL_SCORE[level] for level in (C, H, M, L, N, NA)] == [10.0, 8.9, 6.9, 3.9, 0.0, None]
