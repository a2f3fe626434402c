"""``threatlake dashboards|notebooks import|export|list``: directly, and through a running service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.web.conftest import Server, start_server
from threatlake.cli import main
from threatlake.documents import shipped_dashboard
from threatlake.documents.shipped import SHIPPED
from threatlake.state import open_state

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "threatlake" / "documents" / "shipped"
NOTEBOOK = {
    "version": "7",
    "sections": [{"type": "dql", "state": {"input": {"value": "fetch security.events"}}}],
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("served") / "data", "--no-samples")
    yield server
    server.stop()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(params=["direct", "service"])
def data_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "direct":
        return tmp_path / "data"
    server: Server = request.getfixturevalue("served")
    return server.data_dir


def test_import_prints_only_the_id_then_export_and_list(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stem = "aws-security-hub-compliance"
    code, out, _ = _run(
        capsys, "dashboards", "import", str(SHIPPED_DIR / f"{stem}.json"), "--data-dir", str(data_dir)
    )
    assert code == 0
    document_id = out.strip()
    assert out == document_id + "\n" and len(document_id.splitlines()) == 1
    code, out, _ = _run(capsys, "dashboards", "export", document_id, "--data-dir", str(data_dir))
    assert code == 0 and orjson.loads(out) == shipped_dashboard(stem)
    code, out, _ = _run(capsys, "dashboards", "list", "--data-dir", str(data_dir))
    listed = {line["id"]: line for line in map(orjson.loads, out.splitlines())}
    assert listed[document_id]["name"] == stem and listed[document_id]["version"] == 1


def test_notebooks_are_their_own_list(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "Triage notes.json"
    path.write_bytes(orjson.dumps(NOTEBOOK))
    code, out, _ = _run(capsys, "notebooks", "import", str(path), "--data-dir", str(data_dir))
    notebook_id = out.strip()
    assert code == 0
    _, out, _ = _run(capsys, "notebooks", "list", "--data-dir", str(data_dir))
    names = {line["id"]: line["name"] for line in map(orjson.loads, out.splitlines())}
    assert names[notebook_id] == "Triage notes"
    _, out, _ = _run(capsys, "dashboards", "list", "--data-dir", str(data_dir))
    assert notebook_id not in out
    code, _, err = _run(capsys, "dashboards", "export", notebook_id, "--data-dir", str(data_dir))
    assert code == 2 and "is a notebook, not a dashboard" in err


def test_a_bad_file_is_refused_with_where(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": 17, "tiles": {"a": {"type": "data", "query": 1}}}')
    code, out, err = _run(capsys, "dashboards", "import", str(path), "--data-dir", str(data_dir))
    assert (code, out) == (2, "") and "tiles.a.query" in err
    path.write_text('{"version": 17,\n  "tiles": [}')
    code, out, err = _run(capsys, "dashboards", "import", str(path), "--data-dir", str(data_dir))
    assert (code, out) == (2, "") and "line 2" in err


def test_through_the_service_the_temporary_token_is_revoked(
    served: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = _run(
        capsys,
        "dashboards",
        "import",
        str(SHIPPED_DIR / "container-vulnerabilities.json"),
        "--name",
        "Containers",
        "--data-dir",
        str(served.data_dir),
    )
    assert code == 0
    settings = open_state(served.data_dir)
    try:
        temporary = [t for t in settings.tokens.list() if t.name == "cli (temporary)"]
    finally:
        settings.close()
    assert temporary and all(t.revoked for t in temporary)


def test_every_shipped_file_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert {path.stem for path in SHIPPED_DIR.glob("*.json")} == set(SHIPPED)
