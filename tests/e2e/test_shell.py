"""The shell in a real browser: sign-in, navigation with the timeframe, theme, charts, keys, sign-out."""

from __future__ import annotations

from typing import Any

from tests.e2e import harness
from tests.web.conftest import Server


def test_sign_in_and_home(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/?{harness.ALL_TIME}")
    assert page.get_by_role("heading", name="Security overview").is_visible()
    assert int(page.locator("[data-total]").inner_text().replace(",", "")) > 0
    # the chart was drawn by ECharts (a canvas inside the chart element)
    page.locator("[data-chart][data-state=ok] canvas").first.wait_for()
    assert page.locator("#by-provider tbody tr").count() >= 2


def test_the_timeframe_picker_keeps_the_choice_in_the_url(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/")
    page.get_by_label("Timeframe", exact=True).select_option("now()-7d")
    page.wait_for_url("**/?from=now%28%29-7d&to=now%28%29")
    assert page.locator("#tf-from").input_value() == "now()-7d"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home", exact=True).click()
    assert "from=now%28%29-7d" in page.url


def test_theme_toggle_persists(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/")
    page.get_by_role("button", name="Switch between dark and light theme").click()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    page.reload()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 19, 24)"


def test_keys_help(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/")
    page.keyboard.press("?")
    assert page.get_by_role("dialog", name="Keyboard").is_visible()


def test_sign_out(page: Any, server: Server) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{server.url}/login")
    page.goto(f"{server.url}/")
    assert page.url.startswith(f"{server.url}/login?next=")
