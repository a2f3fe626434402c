"""The Jira actions: create-issue, add-comment, transition-issue and jql-search, over Jira's REST API.

A ``jira`` credential holds ``url``, ``user`` and ``token`` (basic auth as Jira Cloud uses it; without a user,
the token is a bearer personal access token as Jira Data Center uses it) and ``api`` (``"2"`` by default, or
``"3"``). API v3 wants descriptions and comments in the Atlassian Document Format: text is wrapped into it.
Output of create-issue is ``{id, key, url}``.
"""

from __future__ import annotations

from typing import Any

import httpx

from threatlake.workflows.actions.base import (
    Action,
    ActionContext,
    Input,
    require_credential,
    response_error,
    send,
)
from threatlake.workflows.errors import ActionError
from threatlake.workflows.expressions import jsonable

__all__ = ["ADD_COMMENT", "CREATE_ISSUE", "JQL_SEARCH", "TRANSITION_ISSUE"]


class _Jira:
    def __init__(self, context: ActionContext, inputs: dict[str, Any]) -> None:
        credential = require_credential(context, inputs, "jira")
        fields = credential.fields
        self.base = str(fields.get("url", "")).rstrip("/")
        if not self.base.startswith(("http://", "https://")):
            raise ActionError(f"jira credential {credential.name!r} has no http(s) url")
        self.api = str(inputs.get("apiVersion") or fields.get("api") or "2")
        user, token = fields.get("user"), str(fields.get("token", ""))
        self.auth: httpx.Auth | None = httpx.BasicAuth(str(user), token) if user else None
        self.headers = {"Accept": "application/json"} | ({} if user else {"Authorization": f"Bearer {token}"})
        self.context = context

    def text(self, value: Any) -> Any:
        """``value`` as the API version wants rich text: plain for v2, a document for v3."""
        if self.api != "3" or isinstance(value, dict):
            return value
        paragraphs = list(str(value or "").split("\n"))
        content = [
            {"type": "paragraph", "content": [{"type": "text", "text": p}] if p else []} for p in paragraphs
        ]
        return {"type": "doc", "version": 1, "content": content}

    async def call(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        url = f"{self.base}/rest/api/{self.api}/{path}"
        async with self.context.services.client() as client:
            request = client.build_request(
                method,
                url,
                json=jsonable(body) if body is not None else None,
                params=params,
                headers=self.headers,
            )
            if self.auth is not None:
                request = next(self.auth.auth_flow(request))
            response = await send(client, f"Jira {method} {path}", request)
        self.context.log(f"Jira {method} /rest/api/{self.api}/{path} → {response.status_code}")
        if response.status_code >= 400:
            raise response_error(f"Jira {method} {path}", response)
        return response.json() if response.content else {}


def _named(value: Any, key: str) -> dict[str, Any]:
    """``{key: value}`` for a plain value; a mapping as given (``{key: SEC}``, ``{id: 1}``)."""
    return dict(value) if isinstance(value, dict) else {key: str(value)}


async def _create(inputs: dict[str, Any], context: ActionContext) -> Any:
    jira = _Jira(context, inputs)
    fields: dict[str, Any] = {
        "project": _named(inputs["project"], "key"),
        "issuetype": _named(inputs["issueType"], "name"),
        "summary": str(inputs["summary"])[:255],
    }
    if inputs.get("description"):
        fields["description"] = jira.text(inputs["description"])
    for key, field in (("assignee", "accountId"), ("reporter", "accountId"), ("priority", "name")):
        if inputs.get(key):
            fields[key] = _named(inputs[key], field)
    if inputs.get("labels"):
        fields["labels"] = list(inputs["labels"])
    if inputs.get("components"):
        fields["components"] = [_named(c, "name") for c in inputs["components"]]
    for setter in inputs.get("fieldSetters") or []:
        fields[str(setter["key"])] = setter.get("value")
    created = await jira.call("POST", "issue", {"fields": fields})
    key = created.get("key", "")
    return {"id": created.get("id", ""), "key": key, "url": f"{jira.base}/browse/{key}"}


async def _comment(inputs: dict[str, Any], context: ActionContext) -> Any:
    jira = _Jira(context, inputs)
    issue = str(inputs["issueKey"])
    made = await jira.call("POST", f"issue/{issue}/comment", {"body": jira.text(inputs["comment"])})
    return {"id": made.get("id", ""), "key": issue, "url": f"{jira.base}/browse/{issue}"}


async def _transition(inputs: dict[str, Any], context: ActionContext) -> Any:
    jira = _Jira(context, inputs)
    issue, wanted = str(inputs["issueKey"]), str(inputs["transition"])
    available = (await jira.call("GET", f"issue/{issue}/transitions")).get("transitions", [])
    match = next((t for t in available if wanted in (str(t.get("id")), t.get("name"))), None)
    if match is None:
        names = ", ".join(str(t.get("name")) for t in available)
        raise ActionError(f"issue {issue} has no transition {wanted!r} (available: {names or 'none'})")
    await jira.call("POST", f"issue/{issue}/transitions", {"transition": {"id": str(match["id"])}})
    return {"id": str(match["id"]), "key": issue, "url": f"{jira.base}/browse/{issue}"}


async def _search(inputs: dict[str, Any], context: ActionContext) -> Any:
    jira = _Jira(context, inputs)
    params: dict[str, Any] = {"jql": str(inputs["jql"]), "maxResults": int(inputs.get("maxResults") or 50)}
    if inputs.get("fields"):
        params["fields"] = ",".join(inputs["fields"])
    found = await jira.call("GET", "search/jql" if jira.api == "3" else "search", params=params)
    return {"issues": found.get("issues", []), "total": found.get("total", len(found.get("issues", [])))}


_CONNECTION = Input("connectionId", str, False, "the jira credential (else the default one)")
CREATE_ISSUE = Action(
    "jira:jira-create-issue",
    "Jira: create issue",
    (
        _CONNECTION,
        Input("project", (str, dict), True, "project key"),
        Input("issueType", (str, dict), True, "issue type name"),
        Input("summary", str, True, "issue summary"),
        Input("description", (str, dict)),
        Input("labels", list),
        Input("components", list),
        Input("fieldSetters", list),
    ),
    _create,
)
ADD_COMMENT = Action(
    "jira:jira-add-comment",
    "Jira: add comment",
    (_CONNECTION, Input("issueKey", str, True, "issue key"), Input("comment", (str, dict), True, "comment")),
    _comment,
)
TRANSITION_ISSUE = Action(
    "jira:jira-transition-issue",
    "Jira: transition issue",
    (_CONNECTION, Input("issueKey", str, True, "issue key"), Input("transition", str, True, "name or id")),
    _transition,
)
JQL_SEARCH = Action(
    "jira:jira-jql-search",
    "Jira: JQL search",
    (_CONNECTION, Input("jql", str, True, "JQL"), Input("fields", list), Input("maxResults", int)),
    _search,
)
