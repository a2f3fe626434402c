"""Structured log lines: one JSON object per line on stdout, which Lambda ships to CloudWatch Logs."""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["emit"]


def emit(message: str, level: str = "INFO", **fields: Any) -> None:
    """Write ``{"level": ..., "message": ..., **fields}`` as one line. Never pass the token here."""
    line = json.dumps({"level": level, "message": message, **fields}, default=str, separators=(",", ":"))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
