"""Notebooks: ``/notebooks`` (list, new, import) and ``/notebooks/{id}`` (the editor), plus the two
endpoints the notebook and dashboard pages' scripts call: ``POST /notebooks/query`` (run DQL, the platform's
result or its positioned error as JSON) and ``POST /notebooks/markdown`` (Markdown → HTML).

``DocumentPages`` is the part both document kinds share (list, create, import, show, save with the version
read, export, duplicate, delete); ``dashboards.py`` makes its own. Documents go through the same
``Documents`` operations as the Document API and the CLI. Seeing needs the read scope of events; changing
needs ``document:documents:write``, deleting ``document:documents:delete`` (administrators have both).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from threatlake.documents.library import (
    DELETE_SCOPE,
    WRITE_SCOPE,
    Documents,
    content_of,
    metadata,
    parse_filter,
)
from threatlake.errors import QueryError, RequestError, ThreatlakeError
from threatlake.model.fields import FIELDS
from threatlake.query.aggregates import AGGREGATES
from threatlake.query.functions import FUNCTIONS
from threatlake.query.parser import COMMANDS
from threatlake.state.documents import DocumentRecord
from threatlake.web import errors
from threatlake.web.api.documents import library
from threatlake.web.views import platform
from threatlake.web.views.nav import NavLink
from threatlake.web.views.notebooks_markdown import MAX_MARKDOWN, render_markdown
from threatlake.web.views.page import READ, form, page, viewer
from threatlake.web.views.render import render

__all__ = ["NAV", "QUERY_PATH", "ROUTES", "VOCABULARY", "DocumentPages", "markdown_path"]

NAV = (NavLink("Analyze", "Notebooks", "/notebooks"),)
QUERY_PATH = "/notebooks/query"
MARKDOWN_PATH = "/notebooks/markdown"
DEFAULT_FROM = "now()-2h"
_MAX_QUERY = 100_000

#: What the editor completes: the compiler's own tables, so it never offers what the compiler refuses.
VOCABULARY: dict[str, Any] = {
    "commands": sorted(COMMANDS),
    "functions": sorted(FUNCTIONS),
    "aggregates": sorted(AGGREGATES),
    "fields": [{"name": f.name, "type": str(f.type), "doc": f.doc} for f in FIELDS.values()],
}
VISUALIZATION_CHOICES = (
    ("table", "Table"),
    ("barChart", "Bar chart"),
    ("lineChart", "Line chart"),
    ("areaChart", "Area chart"),
    ("categoricalBarChart", "Bars per category"),
    ("pieChart", "Pie chart"),
    ("donutChart", "Donut chart"),
    ("singleValue", "Single value"),
    ("recordList", "Record list"),
    ("honeycomb", "Honeycomb"),
)


def markdown_path() -> str:
    return MARKDOWN_PATH


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


async def _json_error(request: Request, error: ThreatlakeError) -> Response:
    return await errors.handle_error(request, error)


async def run_query(request: Request) -> Response:
    """The platform's execute answer (``{"state", "result"}``) for the form's ``query``, over the URL's
    timeframe; a bad query is the API's 400 with line and column."""
    query = form(request).get("query")
    limit = form(request).get("maxResultRecords") or "1000"
    try:
        if not isinstance(query, str) or not query.strip() or len(query) > _MAX_QUERY:
            raise RequestError(f"'query' must be DQL of 1 to {_MAX_QUERY} characters", {"field": "query"})
        if not isinstance(limit, str) or not limit.isdigit():
            raise RequestError("'maxResultRecords' must be a whole number", {"field": "maxResultRecords"})
        result = await platform.run_query(
            request, query, request.state.timeframe, max_records=int(limit) or None
        )
    except (QueryError, RequestError) as error:
        return await _json_error(request, error)
    body = {
        "records": result.records,
        "types": result.types,
        "metadata": {"grail": {"notifications": result.notifications}},
    }
    return _json({"state": "SUCCEEDED", "result": body})


async def markdown(request: Request) -> Response:
    text = form(request).get("markdown")
    if not isinstance(text, str) or len(text) > MAX_MARKDOWN:
        return await _json_error(request, RequestError("'markdown' must be text", {"field": "markdown"}))
    return Response(str(render_markdown(text)), media_type="text/html; charset=utf-8")


Context = Callable[[Request, DocumentRecord, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class DocumentPages:
    """The pages of one document type under ``path``: list, create/import, show, save, export,
    duplicate, delete."""

    document_type: str
    plural: str
    path: str
    list_template: str
    show_template: str
    #: a new document; with a query: one whose first query is it
    blank: Callable[..., dict[str, Any]]
    context: Context
    default_from: str = DEFAULT_FROM
    #: more for the list page's template
    list_context: Callable[[Request, list[DocumentRecord]], dict[str, Any]] | None = None

    def _documents(self, request: Request) -> Documents:
        return library(request.app.state)

    def _record(self, request: Request) -> DocumentRecord:
        record = self._documents(request).get(request.path_params["id"])
        if record.type != self.document_type:
            raise RequestError(f"{record.id!r} is a {record.type}, not a {self.document_type}")
        return record

    async def list_page(self, request: Request) -> Response:
        where = parse_filter(f"type == '{self.document_type}'")
        records = await run_in_threadpool(self._documents(request).list, where)
        if request.url.path.endswith(".json"):
            return _json({"documents": [metadata(r) for r in records]})
        context = {
            "documents": records,
            "kind": self.document_type,
            "plural": self.plural,
            "base": self.path,
            "can_write": viewer(request).can(WRITE_SCOPE),
            "can_delete": viewer(request).can(DELETE_SCOPE),
        }
        if self.list_context is not None:
            context.update(self.list_context(request, records))
        return render(request, self.list_template, context)

    async def create(self, request: Request) -> Response:
        """A blank document (``name``), or the document pasted or uploaded in ``content`` (import)."""
        fields = form(request)
        name, text, query = fields.get("name"), fields.get("content"), fields.get("query")
        content: Any = text if isinstance(text, str) and text.strip() else self.blank()
        if isinstance(query, str) and query.strip() and not (isinstance(text, str) and text.strip()):
            content = self.blank(query[:_MAX_QUERY])
        who = viewer(request).name
        record = await run_in_threadpool(
            lambda: self._documents(request).create(
                self.document_type,
                name if isinstance(name, str) and name.strip() else f"Untitled {self.document_type}",
                content,
                owner=who,
                now=datetime.now(UTC),
            )
        )
        return RedirectResponse(f"{self.path}/{quote(record.id, safe='')}", status_code=303)

    async def show(self, request: Request) -> Response:
        record = await run_in_threadpool(self._record, request)
        content = content_of(record)
        shell = request.query_params
        context = {
            "record": record,
            "content": content,
            "base": self.path,
            "kind": self.document_type,
            "query_url": QUERY_PATH,
            "markdown_url": MARKDOWN_PATH,
            "explicit_from": shell.get("from", ""),
            "explicit_to": shell.get("to", "") if shell.get("from") else "",
            "default_from": self.default_from,
            "vocabulary": VOCABULARY,
            "visualizations": VISUALIZATION_CHOICES,
            "can_write": viewer(request).can(WRITE_SCOPE),
            "can_delete": viewer(request).can(DELETE_SCOPE),
        }
        context.update(await self.context(request, record, content))
        return render(request, self.show_template, context)

    async def save(self, request: Request) -> Response:
        """JSON for the page's script: ``{"version"}`` of the saved document, or the error (409: changed)."""
        fields = form(request)
        version, text, name = fields.get("version"), fields.get("content"), fields.get("name")
        try:
            if not isinstance(version, str) or not version.isdigit():
                raise RequestError("'version' must be the version you read", {"field": "version"})
            record = await run_in_threadpool(self._record, request)
            who = viewer(request).name
            saved = await run_in_threadpool(
                lambda: self._documents(request).update(
                    record.id,
                    int(version),
                    by=who,
                    now=datetime.now(UTC),
                    name=name if isinstance(name, str) and name.strip() else None,
                    content=text if isinstance(text, str) else None,
                )
            )
        except ThreatlakeError as error:
            return await _json_error(request, error)
        return _json({"version": saved.version, "id": saved.id})

    async def export(self, request: Request) -> Response:
        record = await run_in_threadpool(self._record, request)
        name = "".join(ch if ch.isalnum() or ch in " ._-" else "_" for ch in record.name).strip() or record.id
        return Response(
            orjson.dumps(content_of(record), option=orjson.OPT_INDENT_2),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )

    async def duplicate(self, request: Request) -> Response:
        record = await run_in_threadpool(self._record, request)
        who = viewer(request).name
        copy = await run_in_threadpool(
            lambda: self._documents(request).duplicate(record.id, owner=who, now=datetime.now(UTC))
        )
        return RedirectResponse(f"{self.path}/{quote(copy.id, safe='')}", status_code=303)

    async def delete(self, request: Request) -> Response:
        record = await run_in_threadpool(self._record, request)
        version = form(request).get("version")
        current = int(version) if isinstance(version, str) and version.isdigit() else record.version
        await run_in_threadpool(self._documents(request).delete, record.id, current)
        return RedirectResponse(self.path, status_code=303)

    def routes(self) -> list[Route]:
        base = self.path
        return [
            page(base, self.list_page, default_from=self.default_from),
            page(f"{base}.json", self.list_page),
            page(base, self.create, methods=["POST"], scope=WRITE_SCOPE),
            page(f"{base}/{{id}}", self.show, default_from=self.default_from),
            page(f"{base}/{{id}}", self.save, methods=["POST"], scope=WRITE_SCOPE),
            page(f"{base}/{{id}}/export", self.export),
            page(f"{base}/{{id}}/duplicate", self.duplicate, methods=["POST"], scope=WRITE_SCOPE),
            page(f"{base}/{{id}}/delete", self.delete, methods=["POST"], scope=DELETE_SCOPE),
        ]


_FIRST_QUERY = "fetch security.events\n| summarize findings = count(), by:{event.provider}"


def _blank_notebook(query: str = _FIRST_QUERY) -> dict[str, Any]:
    return {
        "version": "7",
        "defaultTimeframe": {"from": DEFAULT_FROM, "to": "now()"},
        "sections": [
            {
                "id": "section-1",
                "type": "dql",
                "title": "",
                "state": {"input": {"value": query}, "visualization": "table"},
            }
        ],
    }


async def _notebook_context(
    request: Request, record: DocumentRecord, content: dict[str, Any]
) -> dict[str, Any]:
    sections = []
    for section in content.get("sections", []):
        kind = section.get("type")
        entry: dict[str, Any] = {"section": section, "type": kind}
        if kind == "markdown":
            entry["html"] = render_markdown(str(section.get("markdown", "")))
        elif kind == "dql":
            state = section.get("state", {})
            entry["query"] = state.get("input", {}).get("value", "")
            wanted = state.get("visualization") or "table"
            entry["visualization"] = wanted if wanted in dict(VISUALIZATION_CHOICES) else "table"
        sections.append(entry)
    return {"sections": sections}


NOTEBOOKS = DocumentPages(
    document_type="notebook",
    plural="notebooks",
    path="/notebooks",
    list_template="notebooks.html",
    show_template="notebook.html",
    blank=_blank_notebook,
    context=_notebook_context,
)


async def new_notebook(request: Request) -> Response:
    """``/notebooks/new?query=…`` ("Open with → Notebook"): the query, and a button that makes a notebook
    of it (a GET never creates anything)."""
    query = request.query_params.get("query", "")[:_MAX_QUERY] or _FIRST_QUERY
    name = request.query_params.get("name", "")[:128]
    return render(
        request,
        "notebook_new.html",
        {"query": query, "name": name, "can_write": viewer(request).can(WRITE_SCOPE)},
    )


ROUTES = [
    page("/notebooks/new", new_notebook),
    page(QUERY_PATH, run_query, methods=["POST"], scope=READ),
    page(MARKDOWN_PATH, markdown, methods=["POST"], scope=READ),
    *NOTEBOOKS.routes(),
]
