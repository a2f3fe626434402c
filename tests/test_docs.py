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


def _anchors(text: str) -> set[str]:
    """The anchors GitHub makes of a document's headings (lower case, punctuation dropped, spaces to -)."""
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_readme_links_resolve() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        path, _, anchor = link.partition("#")
        assert (DOCS.parent / path).exists(), link
        if anchor:
            assert anchor in _anchors((DOCS.parent / path).read_text()), link


def test_links_between_docs_resolve() -> None:
    """``[x](other.md#anchor)`` and ``[x](#anchor)`` in docs/: the file and its heading exist."""
    wrong = []
    for doc in sorted(DOCS.glob("*.md")):
        for target, anchor in re.findall(r"\]\(([\w.-]*\.md|)#([\w-]+)\)", doc.read_text()):
            linked = DOCS / target if target else doc
            if not linked.exists() or anchor not in _anchors(linked.read_text()):
                wrong.append(f"{doc.name}: {target}#{anchor}")
    assert wrong == []


def test_the_naming_convention_is_written_down_and_linked() -> None:
    from threatlake.cli.backfill import ALIASES
    from threatlake.state.connections import INTEGRATIONS

    text = (DOCS / "conventions.md").read_text()
    assert "(docs/conventions.md)" in (DOCS.parent / "README.md").read_text()
    for name in (*INTEGRATIONS, *ALIASES, "retentionDays", "retention_days", "--retention-days"):
        assert f"`{name}`" in text, name


def test_the_clickhouse_extra_maps_and_promoted_keys_are_documented() -> None:
    from threatlake.model.fields import EXTRA_MAPS, PROMOTED_EXTRA

    text = (DOCS / "store.md").read_text()
    section = text[text.index("### Extra fields in typed maps") :]
    missing = [name for name in [*EXTRA_MAPS.values(), *PROMOTED_EXTRA] if f"`{name}" not in section]
    assert not missing, f"docs/store.md (Extra fields in typed maps) does not name {missing}"
