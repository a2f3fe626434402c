"""The documentation keeps up with the code: every field and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from threatlake.cli import COMMANDS, build_parser
from threatlake.model import FIELDS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_field_is_documented() -> None:
    text = (DOCS / "model.md").read_text()
    missing = [name for name in FIELDS if f"`{name}`" not in text]
    assert missing == []


def test_every_command_and_option_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name in COMMANDS:
        assert re.search(rf"^## `threatlake {name}\b", text, re.M), f"command {name!r} is not documented"
        sub = subparsers.choices[name]  # type: ignore[index]
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in text, f"option {option} of {name!r} is not documented"


def test_readme_links_resolve() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (DOCS.parent / link).exists(), link


def test_the_naming_convention_is_written_down_and_linked() -> None:
    from threatlake.cli.backfill import ALIASES
    from threatlake.state.connections import INTEGRATIONS

    text = (DOCS / "conventions.md").read_text()
    assert "(docs/conventions.md)" in (DOCS.parent / "README.md").read_text()
    for name in (*INTEGRATIONS, *ALIASES, "retentionDays", "retention_days", "--retention-days"):
        assert f"`{name}`" in text, name
