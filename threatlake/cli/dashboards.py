"""``threatlake dashboards import FILE | export ID | list``: dashboards in the commercial document format.

``import`` checks the file (a dashboard exported from the commercial product, or one Threatlake wrote) and
prints only the new document's id on stdout, so scripts can capture it; ``--name`` names it (default: the
file name without ``.json``). ``export`` prints the content, ready to import there or here. ``list`` prints
one JSON line per dashboard. While ``threatlake serve`` runs on the data directory, the work goes through
its Document API (``cli/remote.py``); otherwise the documents database is opened directly.
``threatlake notebooks`` is the same for notebooks (``make_command``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from threatlake.cli.remote import ServiceClient
from threatlake.config import Config, load_config
from threatlake.documents import load_document
from threatlake.documents.library import (
    READ_SCOPE,
    WRITE_SCOPE,
    Documents,
    content_of,
    metadata,
    parse_filter,
)
from threatlake.errors import ConfigError, RequestError
from threatlake.service.announce import running_service
from threatlake.service.resources import open_configured_state

__all__ = ["HELP", "DocumentCommand", "configure", "make_command", "run"]

_OWNER = "cli"
BASE = "/platform/document/v1/documents"


@dataclass(frozen=True, slots=True)
class DocumentCommand:
    """``threatlake <plural> import|export|list`` for one document type."""

    document_type: str
    plural: str

    @property
    def help(self) -> str:
        return f"import, export and list {self.plural} (the commercial {self.document_type} document format)"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument(
            "--data-dir", metavar="DIR", help="the data directory (default: $THREATLAKE_DATA_DIR, else ./var)"
        )
        common.add_argument(
            "--state",
            metavar="URL",
            help="the state database (default: $THREATLAKE_STATE, else settings.sqlite)",
        )
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        add = actions.add_parser(
            "import", help=f"store a {self.document_type} file; prints its id", parents=[common]
        )
        add.add_argument("file", metavar="FILE", help="the JSON document ('-' reads stdin)")
        add.add_argument("--name", metavar="NAME", help="its name (default: the file name without .json)")
        export = actions.add_parser(
            "export", help=f"print a {self.document_type}'s document", parents=[common]
        )
        export.add_argument("id", metavar="ID")
        actions.add_parser("list", help=f"list {self.plural} as JSON lines", parents=[common])

    def run(self, args: argparse.Namespace) -> int:
        config = load_config(data_dir=args.data_dir, state=args.state)
        url = running_service(config.data_dir)
        if args.action == "import":
            content = _read(args.file)
            name = args.name or (Path(args.file).stem if args.file != "-" else "")
            if not name:
                raise ConfigError("give the document a name with --name when it comes from stdin")
            print(self._import(config, url, name, content))
        elif args.action == "export":
            sys.stdout.write(
                orjson.dumps(self._export(config, url, args.id), option=orjson.OPT_INDENT_2).decode() + "\n"
            )
        else:
            for line in self._list(config, url):
                print(orjson.dumps(line).decode())
        return 0

    def _import(self, config: Config, url: str | None, name: str, content: bytes) -> str:
        parsed = load_document(content, f"file for {self.document_type} {name!r}")
        if url is not None:
            body = orjson.dumps({"name": name, "type": self.document_type, "content": parsed})
            return str(_call(config, url, WRITE_SCOPE, "POST", BASE, body=body)["id"])
        with _library(config) as documents:
            return documents.create(self.document_type, name, parsed, owner=_OWNER, now=datetime.now(UTC)).id

    def _export(self, config: Config, url: str | None, document_id: str) -> Any:
        if url is not None:
            meta = _call(config, url, READ_SCOPE, "GET", f"{BASE}/{_quote(document_id)}/metadata")
            self._check_type(meta["type"], document_id)
            return _call(config, url, READ_SCOPE, "GET", f"{BASE}/{_quote(document_id)}/content")
        with _library(config) as documents:
            record = documents.get(document_id)
            self._check_type(record.type, document_id)
            return content_of(record)

    def _list(self, config: Config, url: str | None) -> list[dict[str, Any]]:
        if url is not None:
            query = urllib.parse.urlencode({"filter": f"type == '{self.document_type}'", "page-size": 1000})
            found = _call(config, url, READ_SCOPE, "GET", f"{BASE}?{query}")["documents"]
        else:
            with _library(config) as documents:
                found = [metadata(r) for r in documents.list(parse_filter(f"type == '{self.document_type}'"))]
        keys = ("id", "name", "version", "owner")
        return [
            {**{k: item[k] for k in keys}, "modified": item["modificationInfo"]["lastModifiedTime"]}
            for item in found
        ]

    def _check_type(self, found: str, document_id: str) -> None:
        if found != self.document_type:
            raise RequestError(f"document {document_id!r} is a {found}, not a {self.document_type}")


@contextlib.contextmanager
def _library(config: Config) -> Iterator[Documents]:
    state = open_configured_state(config)
    try:
        yield Documents(state.documents)
    finally:
        state.close()


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def _read(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None


def _call(config: Config, url: str, scope: str, method: str, path: str, *, body: bytes | None = None) -> Any:
    with ServiceClient(config.data_dir, url, scope, database=config.state) as client:
        status, answer = client.call(method, path, body)
    if status >= 400:
        message = answer.get("error", {}).get("message", answer) if isinstance(answer, dict) else answer
        raise RequestError(f"the service at {url} answered {status}: {message}")
    return answer


def make_command(document_type: str, plural: str) -> DocumentCommand:
    return DocumentCommand(document_type, plural)


_COMMAND = make_command("dashboard", "dashboards")
HELP = _COMMAND.help
configure = _COMMAND.configure
run = _COMMAND.run
