"""Build the forwarder's Lambda package: ``deploy/build/threatlake-forwarder.zip`` holding ``forwarder/*.py``.

The Lambda's handler is ``forwarder.handler.handler``; the package is the ``threatlake/forwarder`` directory
alone (standard library only, boto3 comes with the Lambda runtime). The zip is reproducible (fixed timestamps
and order): an unchanged forwarder gives the same file, and ``aws cloudformation package`` uploads nothing.

    python3 deploy/package_forwarder.py [OUTPUT.zip]
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "threatlake" / "forwarder"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "build" / "threatlake-forwarder.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(SOURCE.glob("*.py")):
            info = zipfile.ZipInfo(f"forwarder/{path.name}", date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return output


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT))
