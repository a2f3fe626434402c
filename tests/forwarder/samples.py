"""The one loader of sample EventBridge events for the forwarder and deploy tests.

Redistributable samples live in ``tests/fixtures/samples``; ``../shared/samples`` beside the checkout adds the
ones whose licence keeps them out of the repository (the Security Hub "Findings Imported V2" event among them)
when it is present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "samples"


def load(relative: str) -> Any:
    """One fixture file by its path under ``tests/fixtures/samples``."""
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
