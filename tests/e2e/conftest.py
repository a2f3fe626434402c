"""Fixtures of the browser tests: ``server`` (real service, demo data), ``browser`` (headless Chromium),
``page`` (signed in as the admin), ``reader_page`` (signed in as a read-only user). A test fails when the
browser tried to reach anything but loopback. Skipped, saying why, where Chromium or Playwright is absent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e import harness
from tests.web.conftest import Server

_SKIP = harness.why_no_browser()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if _SKIP:
        for item in items:
            if "tests/e2e" in str(item.path):
                item.add_marker(pytest.mark.skip(reason=_SKIP))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with harness.demo_server(tmp_path_factory.mktemp("e2e") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope: Playwright's sync API holds an event loop on the main thread while it runs, which
    # would break asyncio.run in the tests collected after this directory.
    with harness.chromium() as launched:
        yield launched


def _page(browser: Any, server: Server, name: str, password: str) -> Iterator[Any]:
    with harness.guarded_page(browser) as (page, guard):
        harness.sign_in(page, server, name, password)
        yield page
        assert guard.outside == [], f"the page tried to reach outside addresses: {guard.outside}"


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A page signed in as the admin, at ``/``."""
    yield from _page(browser, server, "admin", harness.ADMIN_PASSWORD)


@pytest.fixture
def reader_page(browser: Any, server: Server) -> Iterator[Any]:
    yield from _page(browser, server, harness.READER, harness.READER_PASSWORD)
