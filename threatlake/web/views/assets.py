"""Static files under hashed URLs: ``/static/<digest>/<path>``, cached for a year, gzipped when asked.

``static_url("app.css")`` names a file by the first 12 hex digits of its SHA-256, so a changed file gets a
new URL and an old URL can be cached forever (``immutable``). A request with another digest (a page rendered
before an upgrade) still gets the current file, with a short lifetime. Files are read once and kept in
memory with their gzip form: they ship in the package and do not change while the service runs.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from threatlake.errors import NotFoundError

__all__ = ["ROOT", "ROUTES", "Asset", "accepts_gzip", "asset", "static_url"]

ROOT = (Path(__file__).resolve().parent.parent / "static").resolve()
_YEAR = "public, max-age=31536000, immutable"
_SHORT = "public, max-age=300"
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
_MIN_GZIP = 1024
_TYPES = {".js": "application/javascript", ".mjs": "application/javascript", ".css": "text/css"}


@dataclass(frozen=True, slots=True)
class Asset:
    data: bytes
    gzipped: bytes | None
    digest: str
    media_type: str


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


@functools.lru_cache(maxsize=512)
def asset(path: str) -> Asset:
    """The static file at ``path`` (relative to ``static/``); NotFoundError for anything outside it."""
    file = (ROOT / path).resolve()
    if not file.is_relative_to(ROOT) or not file.is_file() or "recipe" in file.relative_to(ROOT).parts:
        raise NotFoundError(f"no static file {path!r}", {"path": path[:200]})
    data = file.read_bytes()
    media_type = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    gzipped = None
    if len(data) >= _MIN_GZIP and media_type.startswith(_COMPRESSIBLE):
        gzipped = gzip.compress(data, compresslevel=9, mtime=0)
    return Asset(data, gzipped, hashlib.sha256(data).hexdigest()[:12], media_type)


def static_url(path: str) -> str:
    return f"/static/{asset(path).digest}/{path}"


async def serve(request: Request) -> Response:
    found = asset(request.path_params["path"])
    headers = {
        "Cache-Control": _YEAR if request.path_params["digest"] == found.digest else _SHORT,
        "ETag": f'"{found.digest}"',
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    media_type = found.media_type + ("; charset=utf-8" if found.media_type.startswith("text/") else "")
    if found.gzipped is not None and accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, headers=headers, media_type=media_type)
    return Response(found.data, headers=headers, media_type=media_type)


ROUTES = [Route("/static/{digest}/{path:path}", serve, methods=["GET", "HEAD"])]
