"""Threats & Exploits in a real browser: filter by provider and risk level, keys, open a finding, triage."""

from __future__ import annotations

from typing import Any

from tests.e2e import harness
from tests.web.conftest import Server


def test_filter_open_and_triage(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/threats?{harness.ALL_TIME}")
    page.locator("[data-facet=provider]").get_by_role(
        "link", name="Filter for Provider Amazon GuardDuty"
    ).click()
    page.locator("[data-facet=risk]").get_by_role("link", name="Filter for Risk level HIGH").click()
    assert "provider=Amazon+GuardDuty" in page.url and "risk=HIGH" in page.url
    rows = page.locator("#findings tbody tr[data-finding]")
    assert rows.count() > 0
    assert set(page.locator("#findings tbody td:nth-child(4)").all_inner_texts()) == {"Amazon GuardDuty"}
    assert set(page.locator("#findings tbody .risk").all_inner_texts()) == {"HIGH"}

    page.keyboard.press("j")
    assert rows.first.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    page.locator("#fields").wait_for()
    page.get_by_label("Status").select_option("IN_PROGRESS")
    page.get_by_label("Comment (goes into the history)").fill("looking")
    page.get_by_role("button", name="Save triage").click()
    page.locator("#current-status", has_text="IN_PROGRESS").wait_for()
    assert "looking" in page.locator("#history").inner_text()
