"""Running the service: open the store and the settings, bootstrap a first start, serve with uvicorn.

The port is bound first (a busy port fails before anything is created). On the first start (no user yet)
the admin user and an ingest token are then created and printed once on stdout, and the bundled samples
are stored as demo data (``threatlake.service.demo``; unless ``load_samples`` is off). uvicorn's
``Server`` handles SIGINT/SIGTERM gracefully: it stops accepting, lets requests in flight finish, then the
app's lifespan drains the writer queue, so every acknowledged event is stored before the process exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TextIO

import uvicorn

from threatlake.config import Config
from threatlake.errors import ConfigError
from threatlake.samples import sample_files
from threatlake.service.access import create_token
from threatlake.service.announce import announce, running_service
from threatlake.service.demo import load_demo
from threatlake.service.resources import open_configured_state, open_configured_store
from threatlake.state import State
from threatlake.state.tokens import DEFAULT_CONNECTION, INGEST_SCOPE
from threatlake.store import Store, WriteResult
from threatlake.web.app import create_app
from threatlake.web.ops import JsonFormatter
from threatlake.web.protocol import deadline_protocol

__all__ = [
    "ADMIN_USER",
    "FIRST_START",
    "GRACEFUL_SHUTDOWN_SECONDS",
    "bootstrap",
    "first_start",
    "load_samples",
    "serve",
]

ADMIN_USER = "admin"
GRACEFUL_SHUTDOWN_SECONDS = 30
#: The lease nodes starting at once on one shared state take for the first start (``first_start``).
FIRST_START = "first-start"
FIRST_START_WAIT_SECONDS = 120.0
#: How long the first-start lease lives: a node that dies bootstrapping holds up the others this long.
FIRST_START_TTL = timedelta(seconds=60)

log = logging.getLogger("threatlake.server")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Like uvicorn's, without re-raising the signal afterwards: ``serve`` closes the store, exits 0."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def bootstrap(state: State, config: Config, out: TextIO) -> None:
    """First start: the admin user and an ingest token, printed once."""
    now = datetime.now(UTC)
    password = config.admin_password or secrets.token_urlsafe(18)
    state.users.create(ADMIN_USER, password, now=now, role="admin")
    _, token = create_token(
        state, [INGEST_SCOPE], now=now, name="first-start ingest", connection=DEFAULT_CONNECTION
    )
    shown = "(from THREATLAKE_ADMIN_PASSWORD)" if config.admin_password else password
    out.write(
        "Threatlake first start: these secrets are shown once; keep them now.\n"
        f"  admin user:     {ADMIN_USER}\n"
        f"  admin password: {shown}\n"
        f"  ingest token:   {token}\n"
        f"    (scope openpipeline.events_security, connection {DEFAULT_CONNECTION!r})\n"
        f"  lost password:  threatlake user passwd {ADMIN_USER}\n"
        "  more tokens:    threatlake token create --scope storage:security.events:read\n"
    )
    out.flush()


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def first_start(state: State, *, wait: float = FIRST_START_WAIT_SECONDS) -> bool:
    """Whether this process makes the first start (no user yet). Nodes starting at once on one shared
    state take the ``first-start`` lease: the holder bootstraps (and releases it), the others wait until
    the admin user exists, so one admin and one set of first-start secrets are made."""
    deadline = time.monotonic() + wait
    while not state.users.has_users():
        if state.leases.acquire(FIRST_START, _holder(), FIRST_START_TTL, datetime.now(UTC)):
            if not state.users.has_users():  # made by the previous holder just before it let go
                return True
            state.leases.release(FIRST_START, _holder())
            return False
        if time.monotonic() >= deadline:
            raise ConfigError(
                f"another node has been making the first start for {wait:g} seconds and no admin user"
                " exists yet; start again (a node that died holding it lets go after that time)"
            )
        time.sleep(0.2)
    return False


def load_samples(store: Store) -> WriteResult:
    """Store the bundled sample findings as demo data, moved into the present (``service.demo``)."""
    return load_demo(store, sample_files(), datetime.now(UTC))


def _bind(config: Config) -> socket.socket:
    """The listening socket, bound before any first-start secret is printed."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise ConfigError(
            f"cannot listen on {config.host}:{config.port}: {error.strerror}; stop what uses the port "
            "or pick another (--port, THREATLAKE_PORT)"
        ) from None
    sock.set_inheritable(True)
    return sock


def _already_serving(config: Config) -> str | None:
    """The URL of a service that holds the data directory and answers there. A ``service.json`` left by a
    killed service whose PID now belongs to another process (in a container, this one) is not one."""
    url = running_service(config.data_dir)
    if url is None:
        return None
    where = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((where.hostname or config.host, where.port or 80), timeout=2):
            return url
    except OSError:
        log.warning("stale service file", extra={"fields": {"url": url}})
        return None


def serve(config: Config, *, out: TextIO = sys.stdout) -> int:
    """Serve until SIGINT/SIGTERM. Refuses at once when a service already holds the data directory, and
    binds the port before anything is created, so a busy port loses no first-start secret."""
    configure_logging(config.log_level)
    running = _already_serving(config)
    if running is not None:
        raise ConfigError(
            f"Threatlake already serves the data directory {config.data_dir} at {running}; "
            "stop that one first, or use it (commands find it by themselves)"
        )
    with contextlib.ExitStack() as resources:
        sock = _bind(config)
        resources.callback(sock.close)
        store = open_configured_store(config)  # a held lock: the store's error names the other process
        resources.callback(store.close)
        state = open_configured_state(config)
        resources.callback(state.close)
        if first_start(state):
            try:
                bootstrap(state, config, out)
                if config.load_samples:
                    written = load_samples(store)
                    log.info("demo data loaded", extra={"fields": {"stored": written.stored}})
            finally:
                state.leases.release(FIRST_START, _holder())
        app = create_app(config, store, state)
        server = _Server(
            uvicorn.Config(
                app,
                host=config.host,
                port=config.port,
                log_config=None,
                access_log=False,
                lifespan="on",
                server_header=False,
                http=deadline_protocol(config.header_timeout_seconds),
                limit_concurrency=config.max_connections,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            )
        )
        port = sock.getsockname()[1]
        with announce(config.data_dir, f"http://{config.host}:{port}"):
            server.run(sockets=[sock])
        return 0 if server.started else 1
