"""docs/dql.md documents every command and every function the compiler's tables hold, with an example."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from threatlake.query import compile_query
from threatlake.query.aggregates import AGGREGATES
from threatlake.query.functions import FUNCTIONS
from threatlake.query.parser import COMMANDS

DOC = (Path(__file__).parents[2] / "docs" / "dql.md").read_text()
ROWS = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \|.*\| `(.+)` \|$", DOC, re.MULTILINE)}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_documented(name: str) -> None:
    assert name in ROWS, f"command {name!r} is missing from docs/dql.md"


@pytest.mark.parametrize("name", sorted({*FUNCTIONS, *AGGREGATES}))
def test_function_documented(name: str) -> None:
    assert name in ROWS, f"function {name!r} is missing from docs/dql.md"


@pytest.mark.parametrize("name", sorted(ROWS))
def test_example_compiles(name: str) -> None:
    example = ROWS[name].replace("\\|", "|")
    text = example if example.startswith("fetch") else f"fetch security.events | {example}"
    compile_query(text, now=datetime(2026, 1, 1))
