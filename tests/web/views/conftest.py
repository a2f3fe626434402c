"""In-process page tests: the real app over a real DuckDB store holding the bundled samples, driven through
httpx's ASGI transport with a cookie jar (like a browser), pages parsed with selectolax (lexbor) and asserted
by CSS selector."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from starlette.applications import Starlette

from threatlake.config import Config
from threatlake.state import State, open_state
from threatlake.store import Store, open_store
from threatlake.web import create_app
from threatlake.web.server import load_samples

ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1"
READER, READER_PASSWORD = "reader", "reader-password-1"
#: Wide enough for the bundled samples (2020-2022).
ALL_TIME = {"from": "now()-3650d", "to": "now()"}


class Browser:
    """Requests to an in-process app that keep cookies between them; redirects are not followed."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1", cookies=self.cookies
            ) as client:
                response = await client.request(method, url, **options)
                self.cookies = httpx.Cookies(client.cookies)
                return response

        return asyncio.run(send())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)


@dataclass
class Site:
    """The app, its settings and store, and a browser-like client."""

    client: Browser
    state: State
    store: Store

    def sign_in(self, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> None:
        self.client.cookies.clear()
        page = self.client.get("/login")
        token = csrf_of(page.text)
        response = self.client.post(
            "/login", data={"username": name, "password": password, "csrf": token, "next": "/"}
        )
        assert response.status_code == 303, response.text

    def csrf(self, path: str = "/") -> str:
        """The CSRF token the signed-in viewer's pages carry."""
        return csrf_of(self.client.get(path).text)

    def html(self, path: str, expect: int = 200, **params: str) -> HTMLParser:
        response = self.client.get(path, params=params)
        assert response.status_code == expect, response.text[:2000]
        assert response.headers["content-type"].startswith("text/html")
        return HTMLParser(response.text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def texts(tree: HTMLParser, selector: str) -> list[str]:
    return [node.text(strip=True) for node in tree.css(selector)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir: Path = tmp_path_factory.mktemp("site")
    store = open_store(data_dir)
    state = open_state(data_dir)
    now = datetime.now(UTC)
    state.users.create(ADMIN, ADMIN_PASSWORD, now=now, role="admin")
    state.users.create(READER, READER_PASSWORD, now=now, role="viewer")
    load_samples(store)
    app = create_app(Config(data_dir=data_dir), store, state)
    try:
        running = app.state.services
        running.writer.start()
        yield Site(Browser(app), state, store)
        running.writer.close(5)
        running.counters.close()
    finally:
        store.close()
        state.close()


@pytest.fixture
def admin(site: Site) -> Site:
    site.sign_in()
    return site


@pytest.fixture
def reader(site: Site) -> Site:
    site.sign_in(READER, READER_PASSWORD)
    return site
