"""Documents: ``/platform/document/v1/documents`` — the platform's Document API for dashboards and notebooks.

``GET`` lists (``filter=type == 'dashboard'``, ``page-size``, ``page-key``); ``POST`` creates from a
multipart form (``name``, ``type``, ``content`` as a file part, optional ``id``) or a JSON object of the same
fields; ``GET /{id}`` answers metadata and content as multipart like the platform, ``/{id}/metadata`` and
``/{id}/content`` one of them; ``PATCH /{id}`` (name and/or content) and ``PUT /{id}/content`` need
``optimistic-locking-version`` (409 when it is not the current version); ``DELETE /{id}`` too. Content is
checked against its type's format (400 naming every problem by its JSON path) before it is stored.
Scopes as on the platform: ``document:documents:read``, ``…:write``, ``…:delete``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.documents.library import (
    DELETE_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    Documents,
    content_of,
    metadata,
    parse_filter,
)
from threatlake.documents.repository import DocumentRecord, MemoryDocuments, SqliteDocuments
from threatlake.documents.source import MAX_DOCUMENT_BYTES
from threatlake.errors import MediaTypeError, RequestError
from threatlake.state.documents import MemoryDocuments as StateMemoryDocuments
from threatlake.web.auth import authorize
from threatlake.web.body import read_body

__all__ = ["BASE", "DELETE_SCOPE", "OPENAPI", "READ_SCOPE", "ROUTES", "WRITE_SCOPE", "library", "metadata"]

BASE = "/platform/document/v1/documents"
_MAX_BODY = MAX_DOCUMENT_BYTES + 64 * 1024
_DEFAULT_PAGE = 20
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
_MAX_PAGE = 1000


def library(app_state: Any) -> Documents:
    """The service's ``Documents`` (kept beside the settings database; in memory for a memory one)."""
    found: Documents | None = getattr(app_state, "documents", None)
    if found is None:
        services = app_state.services
        in_memory = isinstance(services.state.documents, StateMemoryDocuments)
        repository = MemoryDocuments() if in_memory else SqliteDocuments.in_dir(services.config.data_dir)
        found = app_state.documents = Documents(repository)
    return found


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _version(request: Request) -> int:
    text = request.query_params.get("optimistic-locking-version")
    if text is None or not text.strip().isdigit():
        raise RequestError(
            "Send 'optimistic-locking-version': the version you last read (it protects others' changes)",
            {"field": "optimistic-locking-version"},
        )
    return int(text)


async def _fields(request: Request) -> dict[str, Any]:
    """The request's form fields (multipart, as the platform takes them) or JSON object."""
    body = await read_body(request, _MAX_BODY)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise RequestError(
                f"The body is not JSON: {error.msg} at line {error.lineno}, column {error.colno}"
            ) from None
        if not isinstance(parsed, dict):
            raise RequestError("The body must be a JSON object")
        return parsed
    if kind not in _FORMS:
        raise MediaTypeError(
            f"Send multipart/form-data (or application/json), not {kind or 'no content type'!r}"
        )

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    form: FormData
    if kind == "multipart/form-data":
        parser = MultiPartParser(
            request.headers, stream(), max_files=1, max_fields=10, max_part_size=_MAX_BODY
        )
        form = await parser.parse()
    else:
        form = await FormParser(request.headers, stream()).parse()
    out: dict[str, Any] = {}
    for name, value in form.multi_items():
        out[name] = await value.read() if isinstance(value, UploadFile) else value
    await form.close()
    return out


def _who(request: Request, token: Any) -> str:
    principal = getattr(request.state, "principal", None)
    return str(getattr(principal, "name", None) or getattr(token, "name", None) or "unknown")


async def list_documents(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    where = parse_filter(request.query_params.get("filter"))
    size_text = request.query_params.get("page-size", str(_DEFAULT_PAGE))
    key = request.query_params.get("page-key", "o0")
    if not size_text.isdigit() or not 1 <= int(size_text) <= _MAX_PAGE:
        raise RequestError(f"'page-size' must be from 1 to {_MAX_PAGE}", {"field": "page-size"})
    if not (key.startswith("o") and key[1:].isdigit()):
        raise RequestError("'page-key' must be a nextPageKey this API returned", {"field": "page-key"})
    size, offset = int(size_text), int(key[1:])
    found = await run_in_threadpool(library(request.app.state).list, where)
    page = found[offset : offset + size]
    body: dict[str, Any] = {"documents": [metadata(r) for r in page], "totalCount": len(found)}
    if offset + size < len(found):
        body["nextPageKey"] = f"o{offset + size}"
    return _json(body)


async def create_document(request: Request) -> Response:
    token = authorize(request, WRITE_SCOPE)
    fields = await _fields(request)
    document_type, content = fields.get("type"), fields.get("content")
    if not isinstance(document_type, str):
        raise RequestError("'type' must be 'dashboard' or 'notebook'", {"field": "type"})
    if not isinstance(content, bytes | str | dict):
        raise RequestError(
            "'content' is missing: send the document (a file part, or a JSON object)", {"field": "content"}
        )
    document_id = fields.get("id")
    who = _who(request, token)
    record = await run_in_threadpool(
        lambda: library(request.app.state).create(
            document_type,
            fields.get("name"),
            content,
            owner=who,
            now=datetime.now(UTC),
            document_id=document_id if isinstance(document_id, str) and document_id else None,
        )
    )
    return _json(metadata(record), 201)


async def get_metadata(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    record = await run_in_threadpool(library(request.app.state).get, request.path_params["id"])
    return _json(metadata(record))


def _content_response(record: DocumentRecord, filename: str | None) -> Response:
    name = (filename or f"{record.name}.json").strip().replace('"', "")[:200]
    return Response(
        orjson.dumps(content_of(record), option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "ETag": f'"{record.version}"'},
    )


async def get_content(request: Request) -> Response:
    authorize(request, READ_SCOPE)
    record = await run_in_threadpool(library(request.app.state).get, request.path_params["id"])
    return _content_response(record, request.query_params.get("filename"))


async def get_document(request: Request) -> Response:
    """Metadata and content in one multipart answer, as the platform sends them."""
    authorize(request, READ_SCOPE)
    record = await run_in_threadpool(library(request.app.state).get, request.path_params["id"])
    boundary = secrets.token_hex(16)
    parts = [
        ("metadata", "application/json", orjson.dumps(metadata(record)), ""),
        ("content", "application/json", orjson.dumps(content_of(record)), f'; filename="{record.id}.json"'),
    ]
    chunks = []
    for name, kind, data, extra in parts:
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"{extra}\r\nContent-Type: {kind}\r\n\r\n'
        )
        chunks.append(head.encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return Response(b"".join(chunks), media_type=f"multipart/form-data; boundary={boundary}")


async def update_document(request: Request) -> Response:
    token = authorize(request, WRITE_SCOPE)
    version = _version(request)
    fields = await _fields(request)
    who = _who(request, token)
    record = await run_in_threadpool(
        lambda: library(request.app.state).update(
            request.path_params["id"],
            version,
            by=who,
            now=datetime.now(UTC),
            name=fields.get("name"),
            content=fields.get("content"),
        )
    )
    return _json({"documentMetadata": metadata(record)})


async def replace_content(request: Request) -> Response:
    token = authorize(request, WRITE_SCOPE)
    version = _version(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        content = (await _fields(request)).get("content")
    else:
        content = await read_body(request, _MAX_BODY)
    if not isinstance(content, bytes | str | dict) or not content:
        raise RequestError("'content' is missing: send the document", {"field": "content"})
    who = _who(request, token)
    record = await run_in_threadpool(
        lambda: library(request.app.state).update(
            request.path_params["id"], version, by=who, now=datetime.now(UTC), content=content
        )
    )
    return _json({"documentMetadata": metadata(record)})


async def delete_document(request: Request) -> Response:
    authorize(request, DELETE_SCOPE)
    version = _version(request)
    await run_in_threadpool(library(request.app.state).delete, request.path_params["id"], version)
    return Response(status_code=204)


ROUTES = [
    Route(BASE, list_documents, methods=["GET"]),
    Route(BASE, create_document, methods=["POST"]),
    Route(BASE + "/{id}", get_document, methods=["GET"]),
    Route(BASE + "/{id}", update_document, methods=["PATCH"]),
    Route(BASE + "/{id}", delete_document, methods=["DELETE"]),
    Route(BASE + "/{id}/metadata", get_metadata, methods=["GET"]),
    Route(BASE + "/{id}/content", get_content, methods=["GET"]),
    Route(BASE + "/{id}/content", replace_content, methods=["PUT"]),
]


def _op(
    summary: str, scope: str, ok: str, errors: tuple[int, ...], *, body: bool = False, version: bool = False
) -> dict[str, Any]:
    error = {"application/json": {"schema": {"type": "object", "required": ["error"]}}}
    operation: dict[str, Any] = {
        "summary": summary,
        "description": f"Scope: `{scope}`.",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
        if "{id}" in summary or version
        else [],
        "responses": {
            ok: {"description": "Done", "content": {"application/json": {"schema": {"type": "object"}}}}
            if ok != "204"
            else {"description": "Deleted"},
            **{str(status): {"description": "Error", "content": error} for status in errors},
        },
    }
    if version:
        operation["parameters"].append(
            {
                "name": "optimistic-locking-version",
                "in": "query",
                "required": True,
                "schema": {"type": "integer"},
            }
        )
    if body:
        fields = {
            "name": {"type": "string", "maxLength": 128},
            "type": {"type": "string", "enum": ["dashboard", "notebook"]},
            "content": {"type": "string", "format": "binary"},
            "id": {"type": "string"},
        }
        operation["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": fields}},
                "application/json": {"schema": {"type": "object", "properties": {**fields, "content": {}}}},
            },
        }
    return operation


_ID = (401, 403, 404)
#: The OpenAPI paths of this resource (merged into ``/platform/openapi.json``).
OPENAPI: dict[str, Any] = {
    BASE: {
        "get": {
            **_op("List documents (filter=type == 'dashboard')", READ_SCOPE, "200", (400, 401, 403)),
            "parameters": [
                {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
                for name, kind in (("filter", "string"), ("page-size", "integer"), ("page-key", "string"))
            ],
        },
        "post": _op("Create a document", WRITE_SCOPE, "201", (400, 401, 403, 409, 413, 415), body=True),
    },
    BASE + "/{id}": {
        "get": _op("Get a document {id}: metadata and content (multipart)", READ_SCOPE, "200", _ID),
        "patch": _op(
            "Update a document {id}", WRITE_SCOPE, "200", (*_ID, 400, 409, 413, 415), body=True, version=True
        ),
        "delete": _op("Delete a document {id}", DELETE_SCOPE, "204", (*_ID, 400, 409), version=True),
    },
    BASE + "/{id}/metadata": {"get": _op("Get the metadata of a document {id}", READ_SCOPE, "200", _ID)},
    BASE + "/{id}/content": {
        "get": _op("Download the content of a document {id}", READ_SCOPE, "200", _ID),
        "put": _op(
            "Replace the content of a document {id}",
            WRITE_SCOPE,
            "200",
            (*_ID, 400, 409, 413, 415),
            body=True,
            version=True,
        ),
    },
}
