"""The notebook document: ``{"version", "defaultTimeframe", "sections": [...]}``.

A section is ``{"type": "dql", "title", "state": {"input": {"value": "<DQL>", "timeframe"},
"visualization", "visualizationSettings"}}`` or ``{"type": "markdown", "markdown"}``; other section types
(the product's code and function sections) are kept and shown as a note. Every section gets an ``id`` (the
product's are kept) so the page can address it.
"""

from __future__ import annotations

import copy
from typing import Any

from threatlake.documents.dashboard import MAX_QUERY_CHARS
from threatlake.documents.source import Problems

__all__ = ["MAX_SECTIONS", "SECTION_TYPES", "dql_sections", "normalize_notebook"]

MAX_SECTIONS = 200
SECTION_TYPES = ("dql", "markdown")


def dql_sections(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    return [section for section in notebook.get("sections", []) if section.get("type") == "dql"]


def _check_timeframe(value: Any, path: str, problems: Problems) -> None:
    if value is None:
        return
    if not problems.expect(value, dict, path, "an object with 'from' and 'to'"):
        return
    for name in ("from", "to"):
        if value.get(name) is not None:
            problems.expect(value[name], str, f"{path}.{name}", "a time such as now()-2h or an ISO 8601 time")


def _check_section(index: int, section: Any, problems: Problems) -> None:
    path = f"sections[{index}]"
    if not problems.expect(section, dict, path, "an object"):
        return
    kind = section.get("type")
    if not problems.expect(kind, str, f"{path}.type", "a string"):
        return
    if section.get("id") is not None:
        problems.expect(section["id"], str, f"{path}.id", "a string")
    if section.get("title") is not None:
        problems.expect(section["title"], str, f"{path}.title", "a string")
    if kind == "markdown":
        problems.expect(section.get("markdown", ""), str, f"{path}.markdown", "a string of Markdown")
    elif kind == "dql":
        state = section.get("state", {})
        if not problems.expect(state, dict, f"{path}.state", "an object"):
            return
        entry = state.get("input", {})
        if not problems.expect(entry, dict, f"{path}.state.input", "an object with 'value' (the DQL)"):
            return
        value = entry.get("value", "")
        if (
            problems.expect(value, str, f"{path}.state.input.value", "a string of DQL")
            and len(value) > MAX_QUERY_CHARS
        ):
            problems.add(f"{path}.state.input.value", f"is over {MAX_QUERY_CHARS} characters")
        _check_timeframe(entry.get("timeframe"), f"{path}.state.input.timeframe", problems)
        if state.get("visualization") is not None:
            problems.expect(state["visualization"], str, f"{path}.state.visualization", "a string")


def normalize_notebook(document: Any) -> dict[str, Any]:
    """A checked copy of ``document``: every section has an ``id``; DQL sections have ``state.input``."""
    problems = Problems("notebook document")
    if not problems.expect(document, dict, "", "a JSON object"):
        problems.raise_if_any()
    out: dict[str, Any] = copy.deepcopy(document)
    version = out.get("version")
    if version is not None and not (
        isinstance(version, str) or (isinstance(version, int) and not isinstance(version, bool))
    ):
        problems.add("version", "must be a number or a string")
    _check_timeframe(out.get("defaultTimeframe"), "defaultTimeframe", problems)
    sections = out.setdefault("sections", [])
    if problems.expect(sections, list, "sections", "an array"):
        if len(sections) > MAX_SECTIONS:
            problems.add("sections", f"has {len(sections)} sections; at most {MAX_SECTIONS}")
        for index, section in enumerate(sections):
            _check_section(index, section, problems)
    problems.raise_if_any()
    taken = {section["id"] for section in sections if isinstance(section.get("id"), str)}
    for index, section in enumerate(sections, 1):
        if not isinstance(section.get("id"), str):
            candidate, n = f"section-{index}", index
            while candidate in taken:
                n += 1
                candidate = f"section-{n}"
            section["id"] = candidate
            taken.add(candidate)
        if section["type"] == "dql":
            section.setdefault("state", {}).setdefault("input", {}).setdefault("value", "")
        elif section["type"] == "markdown":
            section.setdefault("markdown", "")
    return out
