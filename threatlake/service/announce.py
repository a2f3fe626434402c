"""Where a running service can be found: ``<data-dir>/service.json`` while ``threatlake serve`` runs.

DuckDB lets one process write a database file, and ``serve`` holds it; commands that find the store locked
send their work to the service instead (``threatlake.cli.remote``). The server announces itself with
``announce``; a command looks it up with ``running_service``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SERVICE_FILE", "announce", "running_service"]

SERVICE_FILE = "service.json"


@contextlib.contextmanager
def announce(data_dir: Path, url: str) -> Iterator[None]:
    """Leave the service's address in the data directory while it runs."""
    path = Path(data_dir) / SERVICE_FILE
    path.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def running_service(data_dir: Path) -> str | None:
    """The URL of the ``serve`` process that holds ``data_dir``, if one is alive."""
    try:
        found = json.loads((Path(data_dir) / SERVICE_FILE).read_text())
        os.kill(int(found["pid"]), 0)
        return str(found["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
