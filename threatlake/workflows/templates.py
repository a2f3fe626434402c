"""The workflow templates Threatlake ships, in the commercial product's format (``templates/*.yaml``).

``install(name, {key: value})`` gives the document to store: the template with its workflow-level ``input``
defaults overridden (only keys the template declares; numbers stay numbers) and its trigger enabled.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

from threatlake.workflows.definition import Workflow, parse_workflow, workflow_object
from threatlake.workflows.document import read_document
from threatlake.workflows.errors import WorkflowError

__all__ = ["TEMPLATES", "install", "load", "template_text"]

#: Template name → file; the names the CLI and the integration pages use.
TEMPLATES = {
    name: f"{name}.yaml"
    for name in (
        "critical-detections-jira",
        "critical-detections-slack",
        "critical-container-vulnerabilities-jira",
        "daily-top-findings-email",
        "critical-detections-teams",
    )
}


def template_text(name: str) -> str:
    if name not in TEMPLATES:
        raise WorkflowError(f"no template {name!r} (templates: {', '.join(TEMPLATES)})")
    return (resources.files("threatlake.workflows") / "templates" / TEMPLATES[name]).read_text("utf-8")


def load(name: str) -> Workflow:
    return parse_workflow(template_text(name))


def install(name: str, inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """The document for template ``name`` with ``inputs`` set and its trigger active."""
    document: dict[str, Any] = copy.deepcopy(read_document(template_text(name)).value)
    body = workflow_object(document)
    declared: dict[str, Any] = body.setdefault("input", {})
    for key, value in (inputs or {}).items():
        if key not in declared:
            known = ", ".join(declared) or "none"
            raise WorkflowError(f"template {name!r} has no input {key!r} (inputs: {known})")
        default = declared[key]
        declared[key] = int(value) if isinstance(default, int) and str(value).isdigit() else value
    trigger = body.get("trigger") or {}
    for kind in ("schedule", "eventTrigger"):
        if isinstance(trigger.get(kind), dict):
            trigger[kind]["isActive"] = True
    parse_workflow(document)  # a template must stay valid whatever the inputs
    return document
