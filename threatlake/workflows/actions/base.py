"""The shape every action has: an id, an input schema, and ``run(inputs, context) -> output``.

An action module defines one ``ACTION`` (or, for a family sharing a client like Jira, a few) and the registry
in ``actions/__init__.py`` lists them by the platform's action id. ``ActionContext`` carries what an action
may use: the injected services (query, credentials, triage, an HTTP transport, sleep), the execution's results
for the JavaScript SDK, and a logger whose lines land in the execution record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from threatlake.workflows.errors import ActionError
from threatlake.workflows.ports import Credential, Credentials, Marks, QueryFunction, TriageFunction

__all__ = ["Action", "ActionContext", "Input", "Services", "require_credential", "response_error", "send"]


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    kind: type | tuple[type, ...]
    required: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    id: str  # the platform's id without the ``dynatrace.`` prefix
    title: str
    inputs: tuple[Input, ...]
    run: Callable[[dict[str, Any], ActionContext], Awaitable[Any]]

    def check(self, inputs: dict[str, Any]) -> None:
        """Raise a terminal ``ActionError`` naming the first missing or mistyped input."""
        for spec in self.inputs:
            value = inputs.get(spec.name)
            if value in (None, ""):
                if spec.required:
                    raise ActionError(f"input {spec.name!r} is required ({spec.description})")
                continue
            if not isinstance(value, spec.kind):
                names = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
                raise ActionError(
                    f"input {spec.name!r} must be {' or '.join(n.__name__ for n in names)}, "
                    f"got {type(value).__name__}"
                )


async def _no_workflow(workflow: str, params: dict[str, Any]) -> dict[str, Any]:
    raise ActionError("run-workflow is not available without a workflow service")


@dataclass(slots=True)
class Services:
    """The collaborators actions use, injected by whoever builds the engine."""

    query: QueryFunction | None = None
    credentials: Credentials | None = None
    triage: TriageFunction | None = None
    marks: Marks | None = None
    run_workflow: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]] = _no_workflow
    transport: httpx.AsyncBaseTransport | None = None  # None: the network (tests pass loopback anyway)
    environment_url: str = "http://127.0.0.1:8080"
    http_timeout: float = 30.0
    javascript_memory: int = 64 * 1024 * 1024
    javascript_time: float = 10.0
    max_records: int = 10_000
    sleep: Callable[[float], Awaitable[None]] | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=self.http_timeout, follow_redirects=False)


@dataclass(slots=True)
class ActionContext:
    services: Services
    execution_id: str
    workflow_id: str
    task: str
    results: dict[str, Any]
    item: Any = None
    logs: list[str] = field(default_factory=list)

    def log(self, line: str) -> None:
        if len(self.logs) < 1000:
            self.logs.append(line[:2000])


def require_credential(context: ActionContext, inputs: dict[str, Any], type: str) -> Credential:
    """The credential an input names (``connectionId`` or ``connection``), else the type's default."""
    reference = inputs.get("connectionId") or inputs.get("connection") or None
    store = context.services.credentials
    found = store.resolve(str(reference) if reference else None, type) if store else None
    if found is None:
        what = f"{type} credential {reference!r}" if reference else f"default {type} credential"
        raise ActionError(f"no {what}: create it with 'threatlake credentials create {type} ...'")
    if reference and str(reference) not in (found.id, found.name):
        context.log(f"credential {reference!r} not found; using the default {type} credential {found.name!r}")
    return found


def response_error(what: str, response: httpx.Response) -> ActionError:
    """An ``ActionError`` for an HTTP failure: 429 and 5xx are transient, other codes terminal."""
    status = response.status_code
    body = response.text[:500]
    return ActionError(f"{what}: HTTP {status}: {body}", retryable=status == 429 or status >= 500)


async def send(client: httpx.AsyncClient, what: str, request: httpx.Request) -> httpx.Response:
    """Send ``request``; connection failures and timeouts become transient ``ActionError``s."""
    try:
        return await client.send(request)
    except httpx.TimeoutException as error:
        raise ActionError(f"{what}: timed out ({type(error).__name__})", retryable=True) from None
    except httpx.TransportError as error:
        raise ActionError(f"{what}: {type(error).__name__}: {error}", retryable=True) from None
