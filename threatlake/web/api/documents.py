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

from threatlake.documents.library import (
    DELETE_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    Documents,
    content_of,
    metadata,
    parse_filter,
)
from threatlake.documents.source import MAX_DOCUMENT_BYTES
from threatlake.errors import MediaTypeError, RequestError
from threatlake.state.documents import DocumentRecord
from threatlake.web.body import read_body
from threatlake.web.openapi import OBJECT, Operation, path_parameter
from threatlake.web.principal import Principal, caller

__all__ = [
    "BASE",
    "CONTENT",
    "CREATE",
    "DELETE",
    "DELETE_SCOPE",
    "GET",
    "LIST",
    "METADATA",
    "READ_SCOPE",
    "REPLACE",
    "UPDATE",
    "WRITE_SCOPE",
    "create_document",
    "delete_document",
    "get_content",
    "get_document",
    "get_metadata",
    "library",
    "list_documents",
    "metadata",
    "replace_content",
    "update_document",
]

BASE = "/platform/document/v1/documents"
_MAX_BODY = MAX_DOCUMENT_BYTES + 64 * 1024
_DEFAULT_PAGE = 20
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
_MAX_PAGE = 1000


def library(app_state: Any) -> Documents:
    """The service's ``Documents``: the state's documents repository, checked on every write."""
    return Documents(app_state.services.state.documents)


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


def _who(request: Request, token: Principal) -> str:
    return token.label or token.name


async def list_documents(request: Request) -> Response:
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
    token = caller(request)
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
    record = await run_in_threadpool(library(request.app.state).get, request.path_params["id"])
    return _content_response(record, request.query_params.get("filename"))


async def get_document(request: Request) -> Response:
    """Metadata and content in one multipart answer, as the platform sends them."""
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
    token = caller(request)
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
    token = caller(request)
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
    version = _version(request)
    await run_in_threadpool(library(request.app.state).delete, request.path_params["id"], version)
    return Response(status_code=204)


_ID = path_parameter("id")
_VERSION = {
    "name": "optimistic-locking-version",
    "in": "query",
    "required": True,
    "schema": {"type": "integer"},
    "description": "the version the change is based on (409 when the document has changed since)",
}
_PAGE = tuple(
    {"name": name, "in": "query", "required": False, "schema": {"type": kind}}
    for name, kind in (("filter", "string"), ("page-size", "integer"), ("page-key", "string"))
)
_FORM = {"content": {"multipart/form-data": {"schema": OBJECT}, "application/json": {"schema": OBJECT}}}
_CHANGE_ERRORS = ("400", "401", "403", "404", "409", "413", "415")

LIST = Operation(
    "List documents (filter=type == 'dashboard')",
    {"200": ("A page of metadata", OBJECT)},
    ("400", "401", "403"),
    parameters=_PAGE,
)
CREATE = Operation(
    "Create a document",
    {"201": ("Its metadata", OBJECT)},
    ("400", "401", "403", "409", "413", "415"),
    body=_FORM,
)
GET = Operation(
    "Get a document: metadata and content (multipart)",
    {"200": ("The document", None)},
    ("401", "403", "404"),
    parameters=(_ID,),
)
UPDATE = Operation(
    "Update a document",
    {"200": ("Its metadata", OBJECT)},
    _CHANGE_ERRORS,
    body=_FORM,
    parameters=(_ID, _VERSION),
)
DELETE = Operation(
    "Delete a document",
    {"204": ("Deleted", None)},
    ("400", "401", "403", "404", "409"),
    parameters=(_ID, _VERSION),
)
METADATA = Operation(
    "Get the metadata of a document",
    {"200": ("Its metadata", OBJECT)},
    ("401", "403", "404"),
    parameters=(_ID,),
)
CONTENT = Operation(
    "Download the content of a document",
    {"200": ("Its content", None)},
    ("401", "403", "404"),
    parameters=(_ID,),
)
REPLACE = Operation(
    "Replace the content of a document",
    {"200": ("Its metadata", OBJECT)},
    _CHANGE_ERRORS,
    body=_FORM,
    parameters=(_ID, _VERSION),
)
