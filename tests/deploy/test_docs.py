"""docs/forwarder.md keeps up: every template parameter and Lambda environment variable, with its default."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.deploy.cfn import TEMPLATES, load
from threatlake.forwarder.config import ENVIRONMENT, Config

DOC = (Path(__file__).resolve().parents[2] / "docs" / "forwarder.md").read_text()
DEFAULTS = {f.name: f.default for f in dataclasses.fields(Config)}


def documented_default(name: str) -> str:
    """The second cell of the table row that documents ``name``."""
    match = re.search(rf"^\| `{re.escape(name)}` \| ([^|]+) \|", DOC, re.M)
    assert match, f"{name} is not documented in docs/forwarder.md"
    return match.group(1).strip()


PARAMETERS = sorted({(n, str(s.get("Default"))) for p in TEMPLATES for n, s in load(p)["Parameters"].items()})


@pytest.mark.parametrize(("name", "default"), PARAMETERS, ids=[n for n, _ in PARAMETERS])
def test_every_template_parameter_is_documented(name: str, default: str) -> None:
    cell = documented_default(name)
    expected = {"None": "(required)", "": "empty"}.get(default, f"`{default}`")
    assert cell.startswith(expected), f"{name}: documented {cell!r}, template default {default!r}"


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_every_environment_variable_is_documented(name: str) -> None:
    cell = documented_default(name)
    default = DEFAULTS[ENVIRONMENT[name]]
    if default is dataclasses.MISSING:
        assert cell == "(required)"
    elif default == "":
        assert cell == "empty"
    else:
        shown = re.match(r"`([^`]*)`", cell)
        assert shown, f"{name}: no default shown in {cell!r}"
        value = shown.group(1)
        assert (float(value) == default) if isinstance(default, int | float) else (value == default)
