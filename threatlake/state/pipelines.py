"""Where pipeline definitions live: ``(name, YAML text)`` pairs behind ``PipelineRepository``.

``FilePipelines`` keeps one file per pipeline, ``<data_dir>/pipelines/<name>.yaml``, so definitions can be
edited, reviewed and versioned as files as well as through the REST resource. A write goes to a temporary
file first and is renamed into place: a reader never sees half a definition. ``MemoryPipelines`` is the
in-memory stand-in for tests. Neither parses YAML: validating is the pipeline package's job.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Protocol

from threatlake.errors import StoreError

__all__ = ["DIRECTORY", "FilePipelines", "MemoryPipelines", "PipelineRepository"]

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
