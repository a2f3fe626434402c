"""Every documented example runs as written, against a real ``threatlake serve`` loaded with the demo data.

* Each ```` ```sh ```` block in ``docs/*.md`` runs in ``bash -euo pipefail``: ``threatlake`` on the PATH (the
  project's ``.venv/bin``), ``$TOKEN`` a token of every scope, ``$THREATLAKE_DATA_DIR`` the server's data
  directory, ``127.0.0.1:8080`` the test server's address, in a scratch directory that holds the checkout's
  ``threatlake/`` and ``deploy/``. It must exit 0.
* Each ```` ```dql ```` block in ``docs/*.md`` and each example of the tables of ``docs/dql.md`` (a command
  example runs after ``fetch security.events |``) runs through ``query:execute`` over all time and must
  succeed.

A block that cannot run here (it needs AWS, or another service) carries the marker
``<!-- example: not-runnable (the reason) -->`` on the line before its fence; the test counts them and
checks each names a reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.web.conftest import ALL_TIME, EXECUTE, Server, start_server
from threatlake.service.access import create_token
from threatlake.state import open_state
from threatlake.state.tokens import SCOPES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^\s*```(\w*)\s*$")
_MARK = re.compile(r"^<!-- example: not-runnable \((?P<reason>[^)]+)\) -->$")
_DOC_ADDRESS = "127.0.0.1:8080"
_SH_SECONDS = 120


@dataclass(frozen=True, slots=True)
class Example:
    where: str  # file:line
    kind: str  # sh or dql
    text: str
    skip: str = ""  # the not-runnable reason, if marked


def blocks(path: Path) -> Iterator[Example]:
    """The ```sh and ```dql blocks of one document."""
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opened = _FENCE.match(lines[index])
        if not opened:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].lstrip().startswith("```"))
        if opened.group(1) in ("sh", "dql"):
            marked = _MARK.match(lines[index - 1].strip()) if index else None
            yield Example(
                f"{path.name}:{index + 1}",
                opened.group(1),
                textwrap.dedent("\n".join(lines[index + 1 : end])),
                marked.group("reason") if marked else "",
            )
        index = end + 1


def table_queries(path: Path) -> Iterator[Example]:
    """The examples of the tables whose last column is ``example`` (a command runs after a fetch)."""
    in_table = False
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells and cells[-1] == "example":
            in_table = True
        elif in_table and not set(cells[0]) <= set("-: "):
            for span in re.findall(r"`([^`]+)`", cells[-1]):
                text = span.replace("\\|", "|")
                query = text if text.startswith("fetch ") else f"fetch security.events | {text}"
                yield Example(f"{path.name}:{number}", "dql", query)


def examples() -> list[Example]:
    found: list[Example] = []
    for path in sorted(DOCS.glob("*.md")):
        found += blocks(path)
    return found + list(table_queries(DOCS / "dql.md"))


EXAMPLES = examples()


def test_the_docs_have_runnable_examples_and_every_skip_says_why() -> None:
    runnable = [e for e in EXAMPLES if not e.skip]
    skipped = [e for e in EXAMPLES if e.skip]
    print(f"{len(runnable)} runnable examples, {len(skipped)} marked not-runnable:")
    for example in skipped:
        print(f"  {example.where}: {example.skip}")
    assert sum(e.kind == "sh" for e in runnable) >= 8
    assert sum(e.kind == "dql" for e in runnable) >= 80
    assert all(len(e.skip) > 5 for e in skipped)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server with the demo data (its first start loads the bundled samples) and a token of every scope."""
    server = start_server(tmp_path_factory.mktemp("docs") / "data")
    settings = open_state(server.data_dir)
    try:
        _, token = create_token(settings, list(SCOPES), now=datetime.now(UTC), name="doc examples")
    finally:
        settings.close()
    yield server, token
    assert server.stop() == 0


def _ids(kind: str) -> list[Example]:
    return [e for e in EXAMPLES if e.kind == kind and not e.skip]


@pytest.mark.parametrize("example", _ids("dql"), ids=lambda e: e.where)
def test_dql_example_runs(served: tuple[Server, str], example: Example) -> None:
    server, token = served
    body = {"query": example.text, **ALL_TIME, "requestTimeoutMilliseconds": 60_000}
    response = server.client(token).post(EXECUTE, json=body)
    assert response.status_code == 202, f"{example.where}: {example.text}\n{response.text}"
    assert response.json()["state"] == "SUCCEEDED", f"{example.where}: {response.text}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with the checkout's package and deploy files, where examples may write."""
    folder = tmp_path_factory.mktemp("shell")
    for name in ("threatlake", "deploy", "docs"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.mark.parametrize("example", _ids("sh"), ids=lambda e: e.where)
def test_shell_example_runs(served: tuple[Server, str], scratch: Path, example: Example) -> None:
    server, token = served
    script = example.text.replace(_DOC_ADDRESS, f"127.0.0.1:{server.port}")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TOKEN": token,
        "THREATLAKE_DATA_DIR": str(server.data_dir),
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=_SH_SECONDS,
        check=False,
    )
    assert done.returncode == 0, (
        f"{example.where}:\n{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
