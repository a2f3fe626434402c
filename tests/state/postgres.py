"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, started on loopback.

``initdb`` into a temporary directory, ``pg_ctl start`` on an ephemeral port with its Unix socket in that
directory; as the ``postgres`` user (``runuser``) when the tests run as root, since PostgreSQL refuses to
run as root. Password authentication over TCP (scram-sha-256) for the role ``threatlake``, which is what
the tests' ``postgresql://threatlake:…@127.0.0.1:PORT/DB`` URLs use. One server per test run
(``shared_server``, stopped at exit); each test gets a database of its own (``new_database``).

Where the package is absent, ``skip_reason()`` says why and the tests that need it are skipped.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

__all__ = ["PASSWORD", "PostgresServer", "shared_server", "skip_reason"]

PASSWORD = "tl-test-password"
_ROLE = "threatlake"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


def _run_as() -> list[str]:
    """The command prefix that runs a PostgreSQL program as a non-root user."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def skip_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when they can."""
    if _binaries() is None:
        return "PostgreSQL is not installed (Debian: apt-get install -y postgresql; .ci/run installs it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root and runuser is missing"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One running server in its own directory; ``stop()`` ends it and removes the directory."""

    def __init__(self) -> None:
        binaries = _binaries()
        assert binaries is not None, skip_reason()
        self._bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="threatlake-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        password_file = self.root / "password"
        password_file.write_text(PASSWORD)
        if os.geteuid() == 0:
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        self._pg(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
            "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
            f"--pwfile={password_file}",
        )  # fmt: skip
        self.port = 0
        for _ in range(3):  # another process may take the port between choosing and binding it
            self.port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
            started = self._pg(
                "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log),
                "-o", options, check=False,
            )  # fmt: skip
            if started.returncode == 0:
                break
        else:
            raise AssertionError(f"PostgreSQL did not start: {self.log.read_text()}")
        self.psql(f"create role {_ROLE} login createdb password '{PASSWORD}'")
        self._names = itertools.count(1)

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*_run_as(), str(self._bin / program), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
            cwd=self.root,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser over the Unix socket; its output."""
        done = self._pg(
            "psql", "-h", str(self.root), "-p", str(self.port), "-U", "postgres", "-d", database,
            "-v", "ON_ERROR_STOP=1", "-At", "-c", sql,
        )  # fmt: skip
        return done.stdout

    def url(self, database: str, *, password: str = PASSWORD) -> str:
        return f"postgresql://{_ROLE}:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new, empty database owned by the tests' role; its URL."""
        name = f"state_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"create database {name}")  # the role's own: it has createdb
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._pg("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data), check=False)
        shutil.rmtree(self.root, ignore_errors=True)


@functools.cache
def shared_server() -> PostgresServer:
    """The test run's server, started on first use and stopped when the run ends."""
    server = PostgresServer()
    atexit.register(server.stop)
    return server
