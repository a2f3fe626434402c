"""docs/scale-out.md: linked from the architecture, every setting it names exists, its sizing table is
filled with figures, and the section the ClickHouse DDL goes in is there."""

from __future__ import annotations

import re
from pathlib import Path

from threatlake.config import SETTINGS

DOCS = Path(__file__).resolve().parents[2] / "docs"
TEXT = (DOCS / "scale-out.md").read_text()


def test_linked_from_the_architecture() -> None:
    assert "(scale-out.md)" in (DOCS / "architecture.md").read_text()


def test_every_setting_it_names_exists() -> None:
    named = set(re.findall(r"THREATLAKE_([A-Z_]+)", TEXT))
    assert named and named <= {setting.name.upper() for setting in SETTINGS}
    assert "`state_busy_seconds`" in TEXT and "THREATLAKE_STATE" in TEXT


def test_sizing_is_filled_and_the_cluster_ddl_has_its_section() -> None:
    assert not re.findall(r"\b(?:MEASURED|DISK)_\w+", TEXT)
    assert re.search(r"^## Cluster DDL$", TEXT, re.M)
    assert re.search(r"\| on disk, DuckDB store \| \d+", TEXT)
