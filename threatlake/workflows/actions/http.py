"""``dynatrace.automations:http-function``: any HTTP call, optionally signed with an ``http`` credential's
secret.

Inputs as the product has them: ``url``, ``method`` (GET), ``headers``, ``payload`` (text, or JSON when a
mapping or list), ``failOnResponseCodes`` (``"400-599"`` by default; ``""`` never fails). With
``connectionId`` naming an ``http`` credential, the body is signed: ``X-Threatlake-Signature:
sha256=<HMAC-SHA256 hex>``. Output ``{statusCode, headers, body, json}``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from threatlake.workflows.actions.base import Action, ActionContext, Input, require_credential, send
from threatlake.workflows.errors import ActionError
from threatlake.workflows.expressions import jsonable

__all__ = ["ACTION", "SIGNATURE_HEADER", "signature"]

SIGNATURE_HEADER = "X-Threatlake-Signature"
_MAX_BODY = 5_000_000


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _codes(spec: str) -> list[tuple[int, int]]:
    ranges = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        low, _, high = part.partition("-")
        try:
            ranges.append((int(low), int(high or low)))
        except ValueError:
            raise ActionError(
                f"failOnResponseCodes: {part!r} is not a code or a range like 400-599"
            ) from None
    return ranges


async def _run(inputs: dict[str, Any], context: ActionContext) -> Any:
    method = str(inputs.get("method") or "GET").upper()
    headers = {str(k): str(v) for k, v in (inputs.get("headers") or {}).items()}
    payload = inputs.get("payload")
    body = b""
    if isinstance(payload, dict | list):
        body = orjson.dumps(jsonable(payload))
        headers.setdefault("Content-Type", "application/json")
    elif payload not in (None, ""):
        body = str(payload).encode()
    if inputs.get("connectionId") or inputs.get("connection"):
        secret = require_credential(context, inputs, "http").fields.get("secret", "")
        headers[SIGNATURE_HEADER] = signature(str(secret), body)
    fail_on = _codes(str(inputs.get("failOnResponseCodes", "400-599") or ""))
    async with context.services.client() as client:
        request = client.build_request(method, str(inputs["url"]), headers=headers, content=body or None)
        response = await send(client, f"{method} {request.url.host}", request)
    status = response.status_code
    context.log(f"{method} {request.url.copy_with(query=None)} → {status}")
    if any(low <= status <= high for low, high in fail_on):
        raise ActionError(
            f"{method} {request.url.host}: HTTP {status}: {response.text[:500]}",
            retryable=status == 429 or status >= 500,
        )
    text = response.text[:_MAX_BODY]
    try:
        parsed = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        parsed = None
    return {"statusCode": status, "headers": dict(response.headers), "body": text, "json": parsed}


ACTION = Action(
    "automations:http-function",
    "HTTP request",
    (
        Input("url", str, True, "the URL to call"),
        Input("method", str),
        Input("headers", dict),
        Input("payload", (str, dict, list)),
        Input("failOnResponseCodes", (str, int)),
    ),
    _run,
)
