"""The action registry: the platform's action id (without the ``dynatrace.`` prefix) → its ``Action``.

Adding an action: one module here defining ``ACTION``, and one line in ``ACTIONS``.
"""

from __future__ import annotations

from threatlake.workflows.actions import (
    dql,
    email,
    http,
    javascript,
    jira,
    reported,
    run_workflow,
    slack,
    sleep,
    teams,
)
from threatlake.workflows.actions import triage as triage_action
from threatlake.workflows.actions.base import Action

__all__ = ["ACTIONS", "lookup"]

ACTIONS: dict[str, Action] = {
    action.id: action
    for action in (
        dql.ACTION,
        http.ACTION,
        javascript.ACTION,
        sleep.ACTION,
        run_workflow.ACTION,
        jira.CREATE_ISSUE,
        jira.ADD_COMMENT,
        jira.TRANSITION_ISSUE,
        jira.JQL_SEARCH,
        slack.ACTION,
        teams.ACTION,
        email.ACTION,
        triage_action.ACTION,
        reported.SELECT,
        reported.MARK,
    )
}


def lookup(action_id: str) -> Action | None:
    """The action for an id as written (``dynatrace.jira:...`` or ``jira:...``), None when there is none."""
    return ACTIONS.get(action_id.removeprefix("dynatrace."))
