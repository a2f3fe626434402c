"""Sample findings bundled with the package (see ATTRIBUTION.md), loaded on a service's first start."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

__all__ = ["sample_files"]


def sample_files() -> Iterator[tuple[str, bytes]]:
    """Each bundled sample as ``(name, bytes)``, in a stable order."""
    root = resources.files(__name__)
    for provider in sorted(root.iterdir(), key=lambda entry: entry.name):
        if provider.is_dir() and not provider.name.startswith("_"):
            for entry in sorted(provider.iterdir(), key=lambda item: item.name):
                if entry.name.endswith(".json"):
                    yield f"{provider.name}/{entry.name}", entry.read_bytes()
