"""Settings pages for what the CLI and REST manage: ``/settings/tokens`` (create, revoke),
``/settings/users`` (add a user with a role), ``/settings/buckets`` and ``/settings/pipelines`` (listed;
change them with ``threatlake bucket`` or ``/platform/buckets``, ``/platform/pipelines``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threatlake.errors import RequestError
from threatlake.service import access
from threatlake.state.tokens import SCOPES
from threatlake.state.users import ROLES
from threatlake.web.services import services
from threatlake.web.views import platform
from threatlake.web.views.nav import NavLink
from threatlake.web.views.page import WRITE, form, page, viewer
from threatlake.web.views.render import render

__all__ = ["NAV", "ROUTES"]

NAV = (
    NavLink("Settings", "Tokens", "/settings/tokens", "settings:read"),
    NavLink("Settings", "Buckets", "/settings/buckets", "settings:read"),
    NavLink("Settings", "Pipelines", "/settings/pipelines", "settings:read"),
    NavLink("Settings", "Users", "/settings/users", "settings:read"),
)


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    blurb: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _page(request: Request, table: Table, **extra: Any) -> Response:
    context = {
        "table": table,
        "can_write": viewer(request).can(WRITE),
        "created_token": "",
        "scopes": SCOPES,
        "roles": tuple(ROLES),
        "kind": "",
        "note": request.query_params.get("note", ""),
        **extra,
    }
    return render(request, "settings_table.html", context)


_TOKEN_COLUMNS = ("Name", "Id", "Scopes", "Connection", "Created", "Last used", "Revoked / expires", "")


async def _token_table(request: Request, blurb: str) -> Table:
    records = await run_in_threadpool(platform.state(request).tokens.list)
    rows = [
        (
            t.name,
            t.id,
            " ".join(t.scopes),
            t.connection,
            t.created,
            t.last_used or "never",
            t.revoked or t.expires or "",
            "" if t.revoked else t.id,
        )
        for t in records
    ]
    return Table("Tokens", blurb, _TOKEN_COLUMNS, rows)


async def tokens(request: Request) -> Response:
    blurb = "API tokens: only a hash is kept; the full text is shown once, when made."
    return _page(request, await _token_table(request, blurb), kind="tokens")


async def create_token(request: Request) -> Response:
    data = form(request)
    scopes = [scope for scope in data.getlist("scope") if isinstance(scope, str)]
    name = str(data.get("name") or "").strip()
    if not scopes:
        raise RequestError("Choose at least one scope", {"field": "scope"})
    _, text = await run_in_threadpool(
        lambda: access.create_token(platform.state(request), scopes, now=datetime.now(UTC), name=name)
    )
    table = await _token_table(request, "Copy the new token now: it is shown only once.")
    return _page(request, table, kind="tokens", created_token=text)


async def revoke_token(request: Request) -> Response:
    token_id = str(form(request).get("id") or "")
    await run_in_threadpool(lambda: platform.state(request).tokens.revoke(token_id, now=datetime.now(UTC)))
    return RedirectResponse(f"/settings/tokens?note=Token+{token_id}+revoked", status_code=303)


async def users(request: Request) -> Response:
    rows = [(user.name, user.role, user.created) for user in platform.users(request)]
    return _page(
        request,
        Table(
            "Users",
            "People who sign in to the UI; a role names what they may do.",
            ("Name", "Role", "Created"),
            rows,
        ),
        kind="users",
    )


async def create_user(request: Request) -> Response:
    data = form(request)
    name, password, role = (str(data.get(key) or "") for key in ("name", "password", "role"))
    await run_in_threadpool(
        lambda: platform.state(request).users.create(name, password, now=datetime.now(UTC), role=role)
    )
    return RedirectResponse(f"/settings/users?note=User+{name}+added", status_code=303)


async def buckets(request: Request) -> Response:
    found = await run_in_threadpool(services(request).store.list_buckets)
    rows = [(bucket.name, bucket.retention_days, bucket.created) for bucket in found]
    table = Table(
        "Buckets",
        "Where events are kept and for how long (threatlake bucket, /platform/buckets).",
        ("Name", "Retention (days)", "Created"),
        rows,
    )
    return _page(request, table)


async def pipelines(request: Request) -> Response:
    found = await run_in_threadpool(platform.state(request).pipelines.list)
    rows = [(name, len(text.splitlines())) for name, text in found]
    table = Table(
        "Pipelines",
        "Processing of ingested findings (/platform/pipelines; docs/pipelines.md).",
        ("Name", "Lines"),
        rows,
    )
    return _page(request, table)


ROUTES = [
    page("/settings/tokens", tokens, scope="settings:read"),
    page("/settings/tokens", create_token, methods=["POST"]),
    page("/settings/tokens/revoke", revoke_token, methods=["POST"]),
    page("/settings/users", users, scope="settings:read"),
    page("/settings/users", create_user, methods=["POST"]),
    page("/settings/buckets", buckets, scope="settings:read"),
    page("/settings/pipelines", pipelines, scope="settings:read"),
]
