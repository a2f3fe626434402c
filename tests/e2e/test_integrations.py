"""The GuardDuty integration page in a real browser: chart, configure a connection (token shown), delete."""

from __future__ import annotations

from typing import Any

from tests.e2e import harness
from tests.web.conftest import Server


def test_configure_and_delete_a_connection(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/settings/amazon-guardduty?{harness.ALL_TIME}")
    page.locator("#ingest-chart[data-state=ok] canvas").wait_for()

    page.get_by_role("link", name="Configure new connection").click()
    dialog = page.get_by_role("dialog", name="Configure new connection")
    dialog.get_by_label("Connection name").fill("e2e-gd")
    dialog.get_by_label("AWS region").fill("eu-central-1")
    dialog.get_by_role("button", name="Create connection").click()
    token = page.locator("#new-token pre").inner_text()
    assert token.startswith("tl0c01.")
    assert page.locator("ol.commands li").count() == 4
    page.get_by_role("button", name="Copy token").click()
    expect(page.get_by_role("button", name="Copy token")).to_have_attribute("data-copied", "")

    page.get_by_role("link", name="Done").click()
    row = page.locator("tr[data-connection='e2e-gd']")
    assert row.locator("td .status").inner_text() == "Waiting for data"
    # the token works until the connection is deleted
    assert server.ingest([], token=token).status_code == 400  # authenticated: an empty body is refused

    row.get_by_role("link", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete connection e2e-gd?")
    confirm.get_by_role("button", name="Delete e2e-gd").click()
    page.wait_for_url("**/settings/amazon-guardduty?deleted=e2e-gd")
    assert page.locator("#deleted-note").is_visible()
    assert page.locator("tr[data-connection='e2e-gd']").count() == 0
    assert server.ingest([], token=token).status_code == 401


def test_read_only_user_has_no_change_controls(reader_page: Any, server: Server) -> None:
    reader_page.goto(f"{server.url}/settings/amazon-guardduty")
    assert reader_page.locator("#configure-new").count() == 0
    assert reader_page.get_by_text("Configure new connection").get_attribute("aria-disabled") == "true"
