"""Risk levels and severity/score normalization (model.md §3), as tables."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "LEVEL_SCORE",
    "RiskLevel",
    "asff_level",
    "generic_level",
    "guardduty_level",
    "ocsf_level",
]


class RiskLevel(StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    NONE = "NONE"
    NOT_AVAILABLE = "NOT_AVAILABLE"


# (lower bound inclusive, level), highest first. GuardDuty bands: 9.0-10 CRITICAL, 7.0-8.9 HIGH, ...
_GUARDDUTY_BANDS: tuple[tuple[float, RiskLevel], ...] = (
    (9.0, RiskLevel.CRITICAL),
    (7.0, RiskLevel.HIGH),
    (4.0, RiskLevel.MEDIUM),
    (1.0, RiskLevel.LOW),
)
_GENERIC_BANDS: tuple[tuple[float, RiskLevel], ...] = (
    (9.0, RiskLevel.CRITICAL),
    (7.0, RiskLevel.HIGH),
    (4.0, RiskLevel.MEDIUM),
    (0.1, RiskLevel.LOW),
)
# ASFF Severity.Normalized (0-100) when Label is missing.
_NORMALIZED_BANDS: tuple[tuple[float, RiskLevel], ...] = (
    (90, RiskLevel.CRITICAL),
    (70, RiskLevel.HIGH),
    (40, RiskLevel.MEDIUM),
    (1, RiskLevel.LOW),
)

LEVEL_SCORE: dict[RiskLevel, float | None] = {
    RiskLevel.CRITICAL: 10.0,
    RiskLevel.HIGH: 8.9,
    RiskLevel.MEDIUM: 6.9,
    RiskLevel.LOW: 3.9,
    RiskLevel.NONE: 0.0,
    RiskLevel.NOT_AVAILABLE: None,
}

_ASFF_LABELS: dict[str, RiskLevel] = {
    "CRITICAL": RiskLevel.CRITICAL,
    "HIGH": RiskLevel.HIGH,
    "MEDIUM": RiskLevel.MEDIUM,
    "LOW": RiskLevel.LOW,
    "INFORMATIONAL": RiskLevel.NONE,
}

# OCSF severity_id: 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other.
_OCSF_SEVERITY: dict[int, RiskLevel] = {
    1: RiskLevel.NONE,
    2: RiskLevel.LOW,
    3: RiskLevel.MEDIUM,
    4: RiskLevel.HIGH,
    5: RiskLevel.CRITICAL,
    6: RiskLevel.CRITICAL,
}


def _band(score: float, bands: tuple[tuple[float, RiskLevel], ...]) -> RiskLevel:
    for floor, level in bands:
        if score >= floor:
            return level
    return RiskLevel.NONE


def guardduty_level(severity: float | None) -> RiskLevel:
    """The level of a GuardDuty severity (0.0-10.0); missing means NOT_AVAILABLE."""
    if severity is None:
        return RiskLevel.NOT_AVAILABLE
    return _band(severity, _GUARDDUTY_BANDS)


def generic_level(score: float | None) -> RiskLevel:
    """The level of a generic 0-10 score: >=9 / >=7 / >=4 / >=0.1 / else NONE."""
    if score is None:
        return RiskLevel.NOT_AVAILABLE
    return _band(score, _GENERIC_BANDS)


def asff_level(label: str | None, normalized: float | None) -> RiskLevel:
    """The level of an ASFF ``Severity``: its Label, else derived from Normalized, else NOT_AVAILABLE."""
    if label:
        level = _ASFF_LABELS.get(label.upper())
        if level is not None:
            return level
    if normalized is None:
        return RiskLevel.NOT_AVAILABLE
    return _band(normalized, _NORMALIZED_BANDS)


def ocsf_level(severity_id: int | None, severity: str | None) -> RiskLevel:
    """The level of an OCSF ``severity_id`` (or its caption when the id is missing or Unknown/Other)."""
    if severity_id is not None and severity_id in _OCSF_SEVERITY:
        return _OCSF_SEVERITY[severity_id]
    return asff_level(severity, None)
