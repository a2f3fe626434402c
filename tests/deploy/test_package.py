"""The Lambda package: ``forwarder/*.py`` alone, importable without the rest of Threatlake, reproducible."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.deploy.cfn import DEPLOY

spec = importlib.util.spec_from_file_location("package_forwarder", DEPLOY / "package_forwarder.py")
assert spec is not None and spec.loader is not None
package_forwarder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(package_forwarder)

SOURCE = Path(package_forwarder.SOURCE)

IMPORT_CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
import forwarder.handler
assert forwarder.handler.__file__.startswith(sys.argv[1]), forwarder.handler.__file__
service = sorted(name for name in sys.modules if name == "threatlake" or name.startswith("threatlake."))
assert service == [], service
assert "boto3" not in sys.modules  # imported only when the secret is first read
print(forwarder.handler.handler.__module__)
"""


def test_zip_holds_the_forwarder_modules_only(tmp_path: Path) -> None:
    built = package_forwarder.build(tmp_path / "forwarder.zip")
    names = zipfile.ZipFile(built).namelist()
    assert names == sorted(f"forwarder/{p.name}" for p in SOURCE.glob("*.py"))


def test_zip_is_reproducible(tmp_path: Path) -> None:
    first = package_forwarder.build(tmp_path / "a.zip").read_bytes()
    assert package_forwarder.build(tmp_path / "b.zip").read_bytes() == first


def test_handler_imports_from_the_zip_alone(tmp_path: Path) -> None:
    built = package_forwarder.build(tmp_path / "forwarder.zip")
    result = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_CHECK, str(built)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "forwarder.handler"
