"""Credentials, ``/automation/credentials``: the named, typed secrets workflows' actions use (Jira, Slack,
Microsoft Teams, SMTP, HTTP), listed (names, types, field names; never a secret), created per type and
deleted. The same repository as ``threatlake credentials ...`` (``threatlake.state.credentials``), encrypted
at rest; a secret typed here is never shown back, not even when the form is refused. Seeing needs
``automation:workflows:read``, changing ``automation:workflows:write``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from threatlake.errors import RequestError
from threatlake.state.credentials import TYPES
from threatlake.web.api.workflows import READ_SCOPE, WRITE_SCOPE
from threatlake.web.views import platform
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import form, page, viewer
from threatlake.web.views.render import render

__all__ = ["BASE", "FIELDS", "NAV", "ROUTES"]

BASE = "/automation/credentials"
NAV = (NavLink("Automate", "Credentials", BASE, READ_SCOPE),)


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the state's spelling (``threatlake.state.credentials.TYPES``)
    label: str
    secret: bool = False  # a password input, never filled back in
    choices: tuple[str, ...] = ()


#: type → the form's fields, in order (required ones are those ``TYPES`` requires).
FIELDS: dict[str, tuple[Field, ...]] = {
    "jira": (
        Field("url", "Jira site URL"),
        Field("email", "User (e-mail or user name)"),
        Field("apiToken", "API token", secret=True),
    ),
    "slack": (
        Field("webhookUrl", "Incoming webhook URL", secret=True),
        Field("token", "or bot token (xoxb-…)", secret=True),
    ),
    "msteams": (Field("webhookUrl", "Incoming webhook URL", secret=True),),
    "smtp": (
        Field("host", "SMTP server"),
        Field("port", "Port (587 STARTTLS, 465 TLS, 25 plain)"),
        Field("sender", "From address"),
        Field("username", "Login name (optional)"),
        Field("password", "Password (optional)", secret=True),
        Field("tls", "Security", choices=("starttls", "tls", "none")),
    ),
    "http": (
        Field("secret", "HMAC signing secret", secret=True),
        Field("url", "Base URL (optional)"),
        Field("authorization", "Authorization header (optional)", secret=True),
    ),
}
_TITLES = {"jira": "Jira", "slack": "Slack", "msteams": "Microsoft Teams", "smtp": "E-mail (SMTP)",
           "http": "HTTP (signed webhooks)"}  # fmt: skip


def _forms(values: dict[str, Any] | None = None, error: str = "", kind: str = "") -> list[dict[str, Any]]:
    return [
        {
            "type": name,
            "title": _TITLES[name],
            "fields": fields,
            "required": TYPES[name].required,
            "one_of": TYPES[name].one_of,
            "values": (values or {}) if name == kind else {},
            "error": error if name == kind else "",
        }
        for name, fields in FIELDS.items()
    ]


async def _page(request: Request, forms: list[dict[str, Any]], status: int = 200) -> Response:
    records = await run_in_threadpool(platform.state(request).credentials.list)
    context = {
        "records": records,
        "forms": forms,
        "titles": _TITLES,
        "can_write": viewer(request).can(WRITE_SCOPE),
        "note": request.query_params.get("note", ""),
    }
    return render(request, "credentials.html", context, status=status)


async def show(request: Request) -> Response:
    return await _page(request, _forms())


async def create(request: Request) -> Response:
    data = form(request)
    kind, name = str(data.get("type") or ""), str(data.get("name") or "").strip()
    if kind not in FIELDS:
        raise RequestError(f"unknown credential type {kind[:40]!r}; valid: {', '.join(FIELDS)}")
    secret = {
        field.name: str(data.get(field.name) or "").strip()
        for field in FIELDS[kind]
        if str(data.get(field.name) or "").strip()
    }
    repository, now = platform.state(request).credentials, datetime.now(UTC)

    def store() -> None:
        with platform.state(request).transaction():
            repository.create(name, kind, secret, now=now)
            if data.get("default") == "on":
                repository.set_default(name)

    try:
        await run_in_threadpool(store)
    except RequestError as error:
        kept = {f.name: secret.get(f.name, "") for f in FIELDS[kind] if not f.secret}
        return await _page(request, _forms({"name": name, **kept}, error.message, kind), status=400)
    return RedirectResponse(f"{BASE}?note={quote(f'Credential {name} saved')}", status_code=303)


async def delete(request: Request) -> Response:
    name = str(form(request).get("name") or "")
    await run_in_threadpool(platform.state(request).credentials.delete, name)
    return RedirectResponse(f"{BASE}?note={quote(f'Credential {name} deleted')}", status_code=303)


ROUTES: list[Route] = [
    page(BASE, show, scope=READ_SCOPE),
    page(BASE, create, methods=["POST"], scope=WRITE_SCOPE),
    page(f"{BASE}/delete", delete, methods=["POST"], scope=WRITE_SCOPE),
]
