"""The dashboards Threatlake ships, written in the commercial dashboard format (``shipped/*.json``).

The document format has no name (the Document API keeps it as metadata), so the table below gives each file
its name. ``threatlake dashboards import`` and the integration pages' "Try our templates" install them.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from threatlake.documents.dashboard import normalize_dashboard
from threatlake.documents.source import load_document

__all__ = ["SHIPPED", "shipped_dashboard", "shipped_dashboards"]

#: File stem → dashboard name.
SHIPPED: dict[str, str] = {
    "security-findings-overview": "Security findings overview",
    "amazon-guardduty-detections": "Amazon GuardDuty detections",
    "aws-security-hub-compliance": "AWS Security Hub compliance",
    "container-vulnerabilities": "Container vulnerabilities",
}


def shipped_dashboard(stem: str) -> dict[str, Any]:
    """The normalized document of the shipped dashboard ``stem``; KeyError when there is none."""
    if stem not in SHIPPED:
        raise KeyError(stem)
    text = resources.files(__package__ or "threatlake.documents").joinpath("shipped", f"{stem}.json")
    return normalize_dashboard(load_document(text.read_bytes(), f"shipped dashboard {stem}"))


def shipped_dashboards() -> list[tuple[str, str, dict[str, Any]]]:
    """``(stem, name, document)`` of every shipped dashboard, in the table's order."""
    return [(stem, name, shipped_dashboard(stem)) for stem, name in SHIPPED.items()]
