"""Pipelines: ``GET /platform/pipelines``, ``GET|PUT|DELETE /platform/pipelines/{name}``.

A definition is sent as YAML (``application/yaml``, ``text/yaml``) or JSON (``application/json``) and
stored as sent, so comments survive. A PUT is validated before anything is stored: an invalid definition is
a 400 whose ``details.problems`` locate each problem (YAML line and column, key path, and the line and column
inside a DQL expression). After a change the pipelines in force (``Services.pipelines``) are rebuilt from the
repository, so the next ingest request runs the new definition.

The repository is ``services(request).state.pipelines``; the pipelines in force are
``services(request).pipelines`` (built at start-up with ``load_pipelines(repository.list())``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from threatlake.errors import MediaTypeError, NotFoundError, RequestError
from threatlake.pipeline.definitions import NAME, PipelineDefinition, PipelineError, parse_pipeline
from threatlake.pipeline.processors import compile_pipeline
from threatlake.pipeline.registry import Pipelines, load_pipelines
from threatlake.state.pipelines import PipelineRepository
from threatlake.web.auth import authorize as token_authorize
from threatlake.web.body import read_body
from threatlake.web.services import services

__all__ = ["BASE", "READ_SCOPE", "ROUTES", "WRITE_SCOPE", "Authorize", "routes"]

BASE = "/platform/pipelines"
READ_SCOPE = "settings:read"
WRITE_SCOPE = "settings:write"
_MAX_BODY = 256 * 1024
_TYPES = (
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "application/json",
    "text/plain",
)

#: ``authorize(request, scope)``: raises AuthError/ScopeError when the request may not use ``scope``.
Authorize = Callable[[Request, str], object]


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _invalid(error: PipelineError) -> RequestError:
    problems = [problem.as_dict() for problem in error.problems]
    return RequestError(f"Invalid pipeline: {error.message}", {"problems": problems})


def _summary(definition: PipelineDefinition) -> dict[str, Any]:
    return {
        "name": definition.name,
        "endpoint": definition.endpoint,
        "description": definition.description,
        "processors": [type(p).__name__[0].lower() + type(p).__name__[1:] for p in definition.processors],
    }


def _name(request: Request) -> str:
    name: str = request.path_params["name"]
    if not NAME.fullmatch(name):
        raise RequestError(
            "A pipeline name has 1 to 100 letters, digits, '.', '_' or '-'", {"name": name[:100]}
        )
    return name


def _repository(request: Request) -> PipelineRepository:
    return services(request).state.pipelines


def _entry(name: str, text: str) -> dict[str, Any]:
    try:
        return {**_summary(parse_pipeline(text, f"pipelines/{name}.yaml", name=name)), "valid": True}
    except PipelineError as error:
        return {"name": name, "valid": False, "problems": [p.as_dict() for p in error.problems]}


def routes(authorize: Authorize = token_authorize) -> list[BaseRoute]:
    """The routes, checking scopes with ``authorize`` (the token check of ``threatlake.web.auth``)."""

    async def list_pipelines(request: Request) -> Response:
        authorize(request, READ_SCOPE)
        return _json({"pipelines": [_entry(name, text) for name, text in _repository(request).list()]})

    async def get_pipeline(request: Request) -> Response:
        authorize(request, READ_SCOPE)
        name = _name(request)
        text = _repository(request).get(name)
        if text is None:
            raise NotFoundError(f"No pipeline named {name!r}", {"name": name})
        return _json({**_entry(name, text), "definition": text})

    async def put_pipeline(request: Request) -> Response:
        authorize(request, WRITE_SCOPE)
        name = _name(request)
        media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if media not in _TYPES:
            raise MediaTypeError(
                f"Unsupported content type {media or '(none)'!r}: send application/yaml or application/json",
                {"contentType": media},
            )
        try:
            text = (await read_body(request, _MAX_BODY)).decode("utf-8")
        except UnicodeDecodeError as error:
            raise RequestError(
                f"The body is not UTF-8 (byte {error.start})", {"offset": error.start}
            ) from None
        repository = _repository(request)
        try:
            compiled = compile_pipeline(parse_pipeline(text, f"pipelines/{name}.yaml", name=name))
            others = load_pipelines(item for item in repository.list() if item[0] != name)
            pipelines = Pipelines([*others, compiled])
        except PipelineError as error:
            raise _invalid(error) from None
        created = repository.put(name, text)
        services(request).pipelines = pipelines
        assert compiled.definition is not None
        return _json({**_summary(compiled.definition), "valid": True}, 201 if created else 200)

    async def delete_pipeline(request: Request) -> Response:
        authorize(request, WRITE_SCOPE)
        name = _name(request)
        repository = _repository(request)
        if not repository.delete(name):
            raise NotFoundError(f"No pipeline named {name!r}", {"name": name})
        try:
            services(request).pipelines = load_pipelines(repository.list())
        except PipelineError as error:
            raise _invalid(error) from None
        return Response(status_code=204)

    return [
        Route(BASE, list_pipelines, methods=["GET"]),
        Route(BASE + "/{name}", get_pipeline, methods=["GET"]),
        Route(BASE + "/{name}", put_pipeline, methods=["PUT"]),
        Route(BASE + "/{name}", delete_pipeline, methods=["DELETE"]),
    ]


ROUTES = routes()
