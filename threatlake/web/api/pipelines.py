"""Pipelines: ``GET /platform/pipelines``, ``GET|PUT|DELETE /platform/pipelines/{name}``.

A definition is sent as YAML (``application/yaml``, ``text/yaml``) or JSON (``application/json``) and
stored as sent, so comments survive. A PUT is validated before anything is stored: an invalid definition is
a 400 whose ``details.problems`` locate each problem (YAML line and column, key path, and the line and column
inside a DQL expression). After a change the pipelines in force (``Services.pipelines``) are rebuilt from the
repository, so the next ingest request runs the new definition. ``refresher`` re-reads the repository every
few seconds, so a change made through another node (a shared state) or to a file by hand is in force
within ``REFRESH_SECONDS`` too; a definition that does not load is logged and the pipelines in force stay.

The repository is ``services(request).state.pipelines``; the pipelines in force are
``services(request).pipelines`` (built at start-up with ``load_pipelines(repository.list())``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from threatlake.errors import MediaTypeError, NotFoundError, RequestError, StoreError
from threatlake.pipeline.definitions import NAME, PipelineDefinition, PipelineError, parse_pipeline
from threatlake.pipeline.processors import CompiledPipeline, load_pipeline
from threatlake.pipeline.registry import Pipelines, load_pipelines
from threatlake.state.pipelines import PipelineRepository
from threatlake.web.body import read_body
from threatlake.web.openapi import ARRAY, OBJECT, Operation, path_parameter
from threatlake.web.services import Services, services

__all__ = [
    "BASE",
    "DELETE",
    "GET",
    "LIST",
    "PUT",
    "delete_pipeline",
    "get_pipeline",
    "list_pipelines",
    "put_pipeline",
    "refresher",
]

log = logging.getLogger("threatlake.web")

#: How often ``refresher`` re-reads the stored definitions.
REFRESH_SECONDS = 5.0

BASE = "/platform/pipelines"
_MAX_BODY = 256 * 1024
_TYPES = (
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "application/json",
    "text/plain",
)


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


async def refresher(found: Services, every: float = REFRESH_SECONDS) -> None:
    """Put the stored definitions in force whenever they change (runs until cancelled)."""
    seen = await run_in_threadpool(found.state.pipelines.list)
    while True:
        await asyncio.sleep(every)
        try:
            current = await run_in_threadpool(found.state.pipelines.list)
            if current != seen:
                found.pipelines = await run_in_threadpool(load_pipelines, current)
                log.info("pipelines reloaded", extra={"fields": {"pipelines": [name for name, _ in current]}})
        except PipelineError as error:  # e.g. a file edited by hand: keep what is in force, say why once
            log.error("stored pipelines not loaded", extra={"fields": {"problems": str(error)[:2000]}})
        except StoreError as error:  # the state is unreachable a moment: try again at the next turn
            log.warning("pipelines not re-read", extra={"fields": {"error": error.message}})
            continue
        seen = current


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


async def list_pipelines(request: Request) -> Response:
    items = await run_in_threadpool(
        lambda: [_entry(name, text) for name, text in _repository(request).list()]
    )
    return _json({"pipelines": items})


async def get_pipeline(request: Request) -> Response:
    name = _name(request)
    text = await run_in_threadpool(_repository(request).get, name)
    if text is None:
        raise NotFoundError(f"No pipeline named {name!r}", {"name": name})
    return _json({**_entry(name, text), "definition": text})


async def put_pipeline(request: Request) -> Response:
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
        raise RequestError(f"The body is not UTF-8 (byte {error.start})", {"offset": error.start}) from None
    repository = _repository(request)

    def store() -> tuple[CompiledPipeline, Pipelines, bool]:
        try:
            compiled = load_pipeline(text, f"pipelines/{name}.yaml", name=name)
            others = load_pipelines(item for item in repository.list() if item[0] != name)
            pipelines = Pipelines([*others, compiled])
        except PipelineError as error:
            raise _invalid(error) from None
        return compiled, pipelines, repository.put(name, text)

    compiled, pipelines, created = await run_in_threadpool(store)
    services(request).pipelines = pipelines
    assert compiled.definition is not None
    return _json({**_summary(compiled.definition), "valid": True}, 201 if created else 200)


async def delete_pipeline(request: Request) -> Response:
    name = _name(request)
    repository = _repository(request)

    def delete() -> Pipelines:
        if not repository.delete(name):
            raise NotFoundError(f"No pipeline named {name!r}", {"name": name})
        try:
            return load_pipelines(repository.list())
        except PipelineError as error:
            raise _invalid(error) from None

    services(request).pipelines = await run_in_threadpool(delete)
    return Response(status_code=204)


_NAMED = (path_parameter("name"),)
LIST = Operation(
    "List pipelines",
    {"200": ("Every stored pipeline", {"type": "object", "properties": {"pipelines": ARRAY}})},
    ("401", "403"),
)
GET = Operation(
    "One pipeline with its definition as stored",
    {"200": ("The pipeline", OBJECT)},
    ("401", "403", "404"),
    parameters=_NAMED,
)
PUT = Operation(
    "Create or replace a pipeline (YAML or JSON); validated before it is stored",
    {"200": ("Replaced", OBJECT), "201": ("Created", OBJECT)},
    ("400", "401", "403", "415"),
    body={
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {"schema": OBJECT},
        }
    },
    parameters=_NAMED,
)
DELETE = Operation("Delete a pipeline", {"204": ("Deleted", None)}, ("401", "403", "404"), parameters=_NAMED)
