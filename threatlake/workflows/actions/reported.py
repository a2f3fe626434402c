"""``threatlake:select-unreported`` and ``threatlake:mark-reported``: Threatlake's own record of what a
workflow reported, so a template pages once per finding and affected object — never by searching the ticket
system.

``select-unreported`` takes query ``records`` and groups them by the affected object (``groupBy``,
``object.id`` by default), leaving out findings this workflow reported for that object within ``withinDays``
(7). Output ``{groups: [{object, name, type, account, titles, keys, count, records}], suppressed}``.
``mark-reported`` records the ``keys`` of each group whose aligned entry in ``results`` (the notifying task's
per-item results) is not null, so a ticket that failed to open is tried again next run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from threatlake.workflows.actions.base import Action, ActionContext, Input
from threatlake.workflows.errors import ActionError
from threatlake.workflows.ports import REPORTED, Marks

__all__ = ["MARK", "SELECT"]

_MAX_GROUPS = 500
_SAMPLE = 20


def _marks(context: ActionContext) -> Marks:
    if context.services.marks is None:
        raise ActionError("the reported-record is not available here")
    return context.services.marks


async def _select(inputs: dict[str, Any], context: ActionContext) -> Any:
    marks = _marks(context)
    group_by = str(inputs.get("groupBy") or "object.id")
    key_field = str(inputs.get("key") or "finding.id")
    title_field = str(inputs.get("titleField") or "finding.title")
    days = float(inputs.get("withinDays") or 7)
    groups: dict[str, dict[str, Any]] = {}
    for record in inputs.get("records") or []:
        if not isinstance(record, dict):
            continue
        target = str(record.get(group_by) or record.get("aws.resource.id") or "unknown")
        key = f"{target}\x1f{record.get(key_field) or record.get('event.id')}"
        group = groups.setdefault(target, {"object": target, "keys": [], "records": [], "titles": []})
        if key in group["keys"]:
            continue
        group["keys"].append(key)
        group["records"].append(record)
        title = str(record.get(title_field) or "")
        if title and title not in group["titles"]:
            group["titles"].append(title)
    since = context.services.now() - timedelta(days=days)
    every = [key for group in groups.values() for key in group["keys"]]
    seen = marks.marked_since(context.workflow_id, REPORTED, every, since)
    selected = []
    for group in groups.values():
        fresh = [i for i, key in enumerate(group["keys"]) if key not in seen]
        if not fresh:
            continue
        records = [group["records"][i] for i in fresh]
        titles = list(dict.fromkeys(str(r.get(title_field) or "") for r in records if r.get(title_field)))
        first = records[0]
        selected.append({
            "object": group["object"],
            "name": first.get("object.name") or group["object"],
            "type": first.get("object.type"),
            "account": first.get("aws.account.id"),
            "titles": titles,
            "keys": [group["keys"][i] for i in fresh],
            "count": len(records),
            "records": records[:_SAMPLE],
        })  # fmt: skip
    context.log(f"{len(selected)} objects with unreported findings; {len(seen)} findings reported before")
    return {
        "groups": selected[:_MAX_GROUPS],
        "suppressed": len(seen),
        "truncated": len(selected) > _MAX_GROUPS,
    }


async def _mark(inputs: dict[str, Any], context: ActionContext) -> Any:
    marks = _marks(context)
    groups = inputs.get("groups") or []
    results = inputs.get("results")
    keys: list[str] = []
    for index, group in enumerate(groups):
        done = results is None or (isinstance(results, list) and index < len(results) and results[index])
        if done and isinstance(group, dict):
            keys.extend(str(k) for k in group.get("keys") or [])
    marks.mark(context.workflow_id, REPORTED, keys, context.services.now())
    return {"marked": len(keys)}


SELECT = Action(
    "threatlake:select-unreported",
    "Select findings not reported yet",
    (
        Input("records", list, False, "query records"),
        Input("groupBy", str),
        Input("key", str),
        Input("titleField", str),
        Input("withinDays", (int, float)),
    ),
    _select,
)
MARK = Action(
    "threatlake:mark-reported",
    "Record findings as reported",
    (Input("groups", list, False, "the groups select-unreported gave"), Input("results", list)),
    _mark,
)
