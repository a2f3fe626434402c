"""Compliance fields of a Security Hub finding (model.md §5): control, standards, requirements and result.

Used by both Security Hub formats. An OCSF ``compliance.status`` (``Pass``) is written as the ASFF word
(``PASSED``), and standard ARNs as standard ids, so ``compliance.*`` and ``finding.result`` read the same
whichever format delivered the finding.
"""

from __future__ import annotations

from typing import Any

from threatlake.model import Event
from threatlake.sources.reader import integer, obj, objs, text, texts

__all__ = ["RESULTS", "asff_compliance", "ocsf_compliance", "standard_id"]

# ASFF Compliance.Status → finding.result. WARNING and NOT_AVAILABLE mean the check could not decide (a
# missing Config rule, a resource out of scope): a person has to look, hence MANUAL.
RESULTS: dict[str, str] = {
    "PASSED": "PASS",
    "FAILED": "FAIL",
    "WARNING": "MANUAL",
    "NOT_AVAILABLE": "MANUAL",
}

# OCSF compliance status_id (0 Unknown, 1 Pass, 2 Warning, 3 Fail, 99 Other) → the ASFF status word.
_STATUS_BY_OCSF_ID: dict[int, str] = {
    0: "NOT_AVAILABLE",
    1: "PASSED",
    2: "WARNING",
    3: "FAILED",
    99: "NOT_AVAILABLE",
}

_STATUS_BY_OCSF_NAME: dict[str, str] = {"pass": "PASSED", "warning": "WARNING", "fail": "FAILED"}

# ProductFields keys that name the control or standard in findings older than the Compliance block.
_CONTROL_KEYS = ("ControlId", "RuleId")
_STANDARD_KEYS = ("StandardsArn", "StandardsGuideArn")


def standard_id(value: str) -> str:
    """A standard's id: ``arn:aws:securityhub:::standards/x/v/1`` → ``standards/x/v/1``.

    ASFF's ``AssociatedStandards[].StandardsId`` and OCSF's ``compliance.standards`` use the bare id; older
    findings name the ARN in ProductFields. One spelling keeps ``compliance.standards`` queryable across them.
    """
    if value.startswith("arn:"):
        parts = value.split(":", 5)
        if len(parts) == 6 and parts[5]:
            return parts[5]
    return value


def asff_compliance(raw: dict[str, Any]) -> Event:
    """The compliance fields of an ASFF finding (its ``Compliance`` block, else its ProductFields)."""
    compliance = obj(raw, "Compliance") or {}
    product_fields = obj(raw, "ProductFields") or {}
    control = text(compliance, "SecurityControlId", "Compliance")
    for key in _CONTROL_KEYS:
        if control is not None:
            break
        control = text(product_fields, key, "ProductFields")
    standards = [
        standard_id(value)
        for index, standard in enumerate(objs(compliance, "AssociatedStandards", "Compliance"))
        if (value := text(standard, "StandardsId", f"Compliance.AssociatedStandards[{index}]"))
    ]
    if not standards:
        for key in _STANDARD_KEYS:
            value = text(product_fields, key, "ProductFields")
            if value:
                standards.append(standard_id(value))
                break
    status = text(compliance, "Status", "Compliance")
    return {
        "rule.id": control or text(raw, "GeneratorId"),
        "rule.name": text(raw, "Title"),
        "compliance.control": control,
        "compliance.standards": standards,
        "compliance.requirements": texts(compliance, "RelatedRequirements", "Compliance"),
        "compliance.status": status,
        "finding.result": RESULTS.get(status) if status else None,
    }


def ocsf_compliance(raw: dict[str, Any]) -> Event:
    """The compliance fields of an OCSF Compliance Finding (its ``compliance`` object)."""
    compliance = obj(raw, "compliance") or {}
    info = obj(raw, "finding_info") or {}
    analytic = obj(info, "analytic", "finding_info") or {}
    control = text(compliance, "control", "compliance")
    status_id = integer(compliance, "status_id", "compliance")
    status = _STATUS_BY_OCSF_ID.get(status_id) if status_id is not None else None
    if status is None:
        status = _STATUS_BY_OCSF_NAME.get((text(compliance, "status", "compliance") or "").lower())
    return {
        "rule.id": control
        or text(analytic, "uid", "finding_info.analytic")
        or text(analytic, "name", "finding_info.analytic"),
        "rule.name": text(info, "title", "finding_info"),
        "compliance.control": control,
        "compliance.standards": [standard_id(s) for s in texts(compliance, "standards", "compliance")],
        "compliance.requirements": texts(compliance, "requirements", "compliance"),
        "compliance.status": status,
        "finding.result": RESULTS.get(status) if status else None,
    }
