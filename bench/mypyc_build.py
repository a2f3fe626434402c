"""Build a copy of this checkout with the mapping path compiled by mypyc, for measurements (issue 11).

    python bench/mypyc_build.py DIR [--modules 'threatlake/sources/*.py' ...]
    python DIR/bench/mapping.py --code PURE_CHECKOUT --findings 6000 --repeat 3

Copies ``threatlake/``, ``tests/``, ``bench/``, ``docs/`` and ``pyproject.toml`` into ``DIR``, compiles the
modules on the mapping path with mypyc (shipped with mypy, a dev dependency) and checks that each one
imports from its extension module. The ``.so`` files sit beside the ``.py`` sources, so Python imports the
compiled ones; the rest of the package stays interpreted. ``bench/mapping.py --code`` run from ``DIR``
measures the pure-Python checkout (A) against this compiled copy (B). Never run by the tests or ``make``;
the product's build is not changed by it. Needs gcc and the Python headers: about 35 s of one core and
400 MB the first time; ``DIR`` may be an earlier build, refreshed: 4 s when no module changed, a full
compile again when one did (the modules share one C library).

Two things the copy needs that the checkout does not have:

- ``SOURCE: Source = Source(...)`` in each source module: mypyc type-checks the modules it compiles in an
  order where the registry (``sources/__init__.py``) reads ``SOURCE`` before its type is inferred ("Cannot
  determine type"), which the whole-package ``mypy`` run never hits. The copy gets the annotation.
- ``pyproject.toml`` is put in after the build: the compile step runs setuptools in ``DIR``, and the
  virtualenv's setuptools (65) rejects the project table's SPDX ``license`` string that the project's build
  (setuptools ≥ 77, in an isolated build environment) reads. mypy reads the checkout's config explicitly.
"""

from __future__ import annotations

import argparse
import glob
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("threatlake", "tests", "bench", "docs")
# The mapping path: every module cProfile shows under bench/mapping.py (docs/performance.md).
MAPPING_PATH = ("threatlake/sources/*.py", "threatlake/model/*.py", "threatlake/pipeline/mapping.py")
_UNTYPED_SOURCE = re.compile(r"^SOURCE = Source\(", re.MULTILINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="where the compiled copy goes")
    parser.add_argument("--modules", nargs="+", default=list(MAPPING_PATH), help="globs, relative to DIR")
    args = parser.parse_args()
    target: Path = args.dir.resolve()
    _copy(target)
    modules = sorted({path for pattern in args.modules for path in glob.glob(pattern, root_dir=target)})
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mypyc", "--config-file", str(ROOT / "pyproject.toml"), *modules],
        cwd=target,
        check=True,
    )
    seconds = time.perf_counter() - started
    shutil.copy2(ROOT / "pyproject.toml", target / "pyproject.toml")
    _check(target, modules)
    print(f"compiled {len(modules)} modules into {target} in {seconds:.0f} s")


def _copy(target: Path) -> None:
    """This checkout's files, leaving an earlier build's ``.so`` files and its ``build/`` directory alone."""
    (target / "pyproject.toml").unlink(missing_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.c")
    for name in COPIED:
        shutil.copytree(ROOT / name, target / name, ignore=ignore, dirs_exist_ok=True)
    for path in (target / "threatlake" / "sources").glob("*.py"):
        text = path.read_text()
        if _UNTYPED_SOURCE.search(text):
            path.write_text(_UNTYPED_SOURCE.sub("SOURCE: Source = Source(", text))


def _check(target: Path, modules: list[str]) -> None:
    """Each compiled module, imported in a fresh interpreter from ``target``, comes from an extension."""
    names = [module.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for module in modules]
    script = (
        "import importlib, sys\n"
        f"sys.path.insert(0, {str(target)!r})\n"
        "bad = [n for n in sys.argv[1:] if not importlib.import_module(n).__file__.endswith('.so')]\n"
        "sys.exit(f'not compiled: {bad}' if bad else 0)\n"
    )
    subprocess.run([sys.executable, "-c", script, *names], cwd=target, check=True)


if __name__ == "__main__":
    main()
