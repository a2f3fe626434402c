"""Where pipeline definitions live: ``(name, YAML text)`` pairs behind ``PipelineRepository``.

``FilePipelines`` keeps one file per pipeline, ``<data_dir>/pipelines/<name>.yaml``, so definitions can be
edited, reviewed and versioned as files as well as through the REST resource. A write goes to a temporary
file first and is renamed into place: a reader never sees half a definition. On a state database that
several nodes share (PostgreSQL) ``SqlPipelines`` keeps them in its ``pipelines`` table instead, so every
node reads the same definitions. ``MemoryPipelines`` is the in-memory stand-in for tests. None parses
YAML: validating is the pipeline package's job.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Protocol

from threatlake.errors import StoreError
from threatlake.state.database import Database

__all__ = ["DIRECTORY", "FilePipelines", "MemoryPipelines", "PipelineRepository", "SqlPipelines"]

DIRECTORY = "pipelines"
_SUFFIX = ".yaml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class PipelineRepository(Protocol):
    """Pipeline definitions by name, as YAML text."""

    def list(self) -> list[tuple[str, str]]: ...

    def get(self, name: str) -> str | None: ...

    def put(self, name: str, text: str) -> bool:
        """Store ``text`` under ``name``; True when it created the pipeline, False when it replaced one."""
        ...

    def delete(self, name: str) -> bool:
        """True when there was a pipeline to delete."""
        ...


def _check(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise StoreError(f"invalid pipeline name {name[:100]!r}")
    return name


class FilePipelines:
    """``PipelineRepository`` on ``<data_dir>/pipelines/*.yaml`` (the directory is created on first write)."""

    def __init__(self, data_dir: Path | str) -> None:
        self.directory = Path(data_dir) / DIRECTORY
        self._lock = threading.Lock()

    def _path(self, name: str) -> Path:
        return self.directory / f"{_check(name)}{_SUFFIX}"

    def list(self) -> list[tuple[str, str]]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            if _NAME.fullmatch(path.stem):
                try:
                    out.append((path.stem, path.read_text(encoding="utf-8")))
                except FileNotFoundError:  # deleted meanwhile
                    continue
                except (OSError, UnicodeDecodeError) as error:
                    raise StoreError(f"cannot read {path}: {error}") from None
        return out

    def get(self, name: str) -> str | None:
        try:
            return self._path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise StoreError(f"cannot read pipeline {name!r}: {error}") from None

    def put(self, name: str, text: str) -> bool:
        path = self._path(name)
        with self._lock:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                created = not path.exists()
                handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.", suffix=".tmp")
                try:
                    with os.fdopen(handle, "w", encoding="utf-8") as file:
                        file.write(text)
                        file.flush()
                        os.fsync(file.fileno())
                    os.replace(temporary, path)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
            except OSError as error:
                raise StoreError(f"cannot write pipeline {name!r}: {error}", retryable=True) from None
        return created

    def delete(self, name: str) -> bool:
        path = self._path(name)
        with self._lock:
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            except OSError as error:
                raise StoreError(f"cannot delete pipeline {name!r}: {error}") from None
        return True


class MemoryPipelines:
    """``PipelineRepository`` in a dict (tests, ``:memory:`` stores)."""

    def __init__(self, items: dict[str, str] | None = None) -> None:
        self._items = dict(items or {})

    def list(self) -> list[tuple[str, str]]:
        return sorted(self._items.items())

    def get(self, name: str) -> str | None:
        return self._items.get(name)

    def put(self, name: str, text: str) -> bool:
        created = _check(name) not in self._items
        self._items[name] = text
        return created

    def delete(self, name: str) -> bool:
        return self._items.pop(name, None) is not None


_SCHEMA = """
create table if not exists pipelines (name text primary key, definition text not null);
"""


class SqlPipelines:
    """``PipelineRepository`` in the ``pipelines`` table of a shared state database (several nodes)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(_SCHEMA)

    def list(self) -> list[tuple[str, str]]:
        rows = self._db.execute("select name, definition from pipelines order by name")
        return [(str(name), str(text)) for name, text in rows]

    def get(self, name: str) -> str | None:
        row = self._db.one("select definition from pipelines where name = ?", (_check(name),))
        return str(row[0]) if row else None

    def put(self, name: str, text: str) -> bool:
        with self._db.transaction():
            created = self.get(name) is None
            self._db.execute(
                "insert into pipelines (name, definition) values (?, ?)"
                " on conflict (name) do update set definition = excluded.definition",
                (name, text),
            )
        return created

    def delete(self, name: str) -> bool:
        with self._db.transaction():
            found = self.get(name) is not None
            self._db.execute("delete from pipelines where name = ?", (name,))
        return found
