"""The web layer: the ASGI app (ingest, query, tokens, operations) and the server that runs it.

The only place that speaks HTTP. ``create_app(config, store, settings)`` builds the Starlette app;
``threatlake.web.server.serve(config)`` runs it under uvicorn.
"""

from __future__ import annotations

from threatlake.web.app import create_app

__all__ = ["create_app"]
