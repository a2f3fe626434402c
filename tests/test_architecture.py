"""Imports point down (docs/architecture.md): model ← sources ← pipeline; model ← query; model ← store;
model ← state; service composes them; web and cli call service. Nothing imports web or cli (cli starts the
server, the one arrow into web); web never imports cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "threatlake"

# package -> the threatlake packages it may import (besides itself and threatlake.errors)
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "sources": {"model"},
    "pipeline": {"model", "sources", "query"},
    "query": {"model"},
    "store": {"model"},
    "state": {"model"},
    "documents": {"state"},  # the document library over the state's repository
    "forwarder": set(),
    "aws": {"model"},
    "service": {"model", "sources", "pipeline", "query", "store", "state", "config"},
    # the workflow engine: definitions, runner, actions; it reaches queries and ingest through service
    "workflows": {"model", "query", "store", "state", "service", "config"},
    "web": {
        "model",
        "sources",
        "pipeline",
        "query",
        "store",
        "state",
        "config",
        "service",
        "samples",
        "aws",
        "workflows",
        "documents",
    },
}
# Packages that read hand-written YAML definitions through the one located reader (threatlake/located.py).
LOCATED_READERS = {"pipeline", "workflows", "documents", "service", "web"}
# Who may import the adapters: nothing imports cli; only cli's ``serve`` command imports web.
ENTRY_POINTS = {"cli": {"__main__.py"}, "web": {"cli/serve.py"}}
# Layers that must never touch the network, the disk, the clock or the environment.
PURE = ("model", "sources", "pipeline", "query")
IMPURE_MODULES = {
    "socket",
    "http",
    "urllib",
    "requests",
    "httpx",
    "subprocess",
    "duckdb",
    "os",
    "pathlib",
    "time",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    root = PACKAGE / package
    return sorted(root.rglob("*.py")) if root.is_dir() else []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_down(package: str) -> None:
    allowed = ALLOWED[package] | {package, "errors"} | ({"located"} if package in LOCATED_READERS else set())
    wrong = []
    for path in _modules(package):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "threatlake" and len(parts) > 1 and parts[1] not in allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


@pytest.mark.parametrize("package", PURE)
def test_core_does_no_io(package: str) -> None:
    wrong = []
    for path in _modules(package):
        for name in _imports(path):
            if name.split(".")[0] in IMPURE_MODULES:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


def _threatlake_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("adapter", sorted(ENTRY_POINTS))
def test_nothing_imports_the_adapters(adapter: str) -> None:
    wrong = []
    for path in _threatlake_modules():
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == adapter or str(relative) in ENTRY_POINTS[adapter]:
            continue
        wrong.extend(
            f"{relative} imports {name}"
            for name in _imports(path)
            if name == f"threatlake.{adapter}" or name.startswith(f"threatlake.{adapter}.")
        )
    assert wrong == []


def test_every_package_is_placed() -> None:
    """A new package gets its arrows here (and a line in docs/architecture.md) before it lands."""
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert packages - set(ALLOWED) - set(ENTRY_POINTS) - {"samples"} == set()


def test_the_bundled_samples_exist_once() -> None:
    """The samples are demo data (threatlake/samples) and test fixtures alike: one copy, in the package."""
    fixtures = PACKAGE.parent / "tests" / "fixtures"
    assert not (fixtures / "samples").exists()
    names = {path.name for path in (PACKAGE / "samples").rglob("*.json")}
    copies = [path for path in PACKAGE.parent.glob("tests/**/*.json") if path.name in names]
    assert [path for path in copies if "golden" not in path.parts] == []
