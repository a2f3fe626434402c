"""The end-to-end harness: a real ``threatlake serve`` with the demo data, headless Debian Chromium driven
by Playwright, a signed-in page. Plain functions, so ``conftest.py`` (fixtures) and ``screenshots.py``
(``make screenshots``) share them.

Chromium is Debian's (``/usr/bin/chromium``, never a downloaded build). Every request the browser makes is
checked: one to an address that is not loopback is aborted and recorded, and the test fails.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.web.conftest import Server, start_server
from threatlake.state import open_state

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_PASSWORD = "e2e-admin-password"
READER, READER_PASSWORD = "reader", "e2e-reader-password"
#: The bundled samples are from 2020-2022: pages are opened over a timeframe that holds them.
ALL_TIME = "from=now()-3650d&to=now()"
VIEWPORT = {"width": 1366, "height": 860}


def why_no_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent: install Debian's chromium (apt-get install -y chromium; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error"):
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def demo_server(data_dir: Path) -> Iterator[Server]:
    """``threatlake serve`` on an ephemeral loopback port with the bundled samples, the admin password
    ``ADMIN_PASSWORD`` and a read-only user ``READER``."""
    server = start_server(data_dir, env={"THREATLAKE_ADMIN_PASSWORD": ADMIN_PASSWORD})
    state = open_state(data_dir)
    try:
        state.users.create(READER, READER_PASSWORD, now=datetime.now(UTC), role="viewer")
    finally:
        state.close()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Guard:
    """Requests the browser tried to send off this machine (aborted)."""

    outside: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's) under Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, server: Server, name: str = "admin", password: str = ADMIN_PASSWORD) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/")


@contextlib.contextmanager
def guarded_page(browser: Any, *, color_scheme: str = "light") -> Iterator[tuple[Any, Guard]]:
    """A fresh browser context and page whose every request is checked by a ``Guard``."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme)
    guard = Guard()
    context.route("**/*", guard.route)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page, guard
    finally:
        context.close()


def clear_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
