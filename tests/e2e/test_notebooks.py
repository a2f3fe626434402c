"""Notebooks in headless Chromium: run a query and see rows and a chart; a DQL error underlined where the
API says; a +/− pivot; a section added and the notebook saved and reopened."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import ALL_TIME
from tests.web.conftest import Server


def _new_notebook(page: Any, server: Server) -> str:
    page.goto(f"{server.url}/notebooks")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(f"{server.url}/notebooks/*")
    url: str = page.url.split("?")[0]
    page.goto(f"{url}?{ALL_TIME}")
    return url


def test_run_a_query_and_see_rows_and_a_chart(page: Any, server: Server) -> None:
    _new_notebook(page, server)
    section = page.locator(".nb-section[data-type=dql]").first
    page.wait_for_selector(".nb-section[data-type=dql][data-state=ok]")
    rows = section.locator(".result-table tbody tr[data-record]")
    assert rows.count() == 2  # GuardDuty and Security Hub
    assert sorted(rows.locator("td[data-field='event.provider'] .v").all_inner_texts()) == [
        "AWS Security Hub",
        "Amazon GuardDuty",
    ]
    section.get_by_label("Show", exact=True).select_option("barChart")
    page.wait_for_selector(".nb-section[data-state=ok] .result-chart[data-state=ok] canvas")
    assert (
        section.locator(".result-table tbody tr[data-record]").count() == 2
    )  # the table stays below the chart


def test_a_dql_error_is_underlined_at_its_position(page: Any, server: Server) -> None:
    _new_notebook(page, server)
    page.wait_for_selector(".nb-section[data-type=dql][data-state=ok]")
    editor = page.locator(".nb-section[data-type=dql] .cm-content").first
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n| filtr event.provider")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".nb-section[data-type=dql][data-state=error]")
    message = page.locator(".nb-section .query-error").inner_text()
    assert "line 3, column 3" in message and "filter" in message
    underlined = page.locator(".nb-section .cm-lintRange-error")
    assert underlined.count() == 1 and underlined.inner_text() == "filtr"


def test_a_pivot_adds_a_filter_and_reruns(page: Any, server: Server) -> None:
    _new_notebook(page, server)
    page.wait_for_selector(".nb-section[data-type=dql][data-state=ok]")
    cell = page.locator("td[data-field='event.provider']").filter(has_text="Amazon GuardDuty")
    cell.hover()
    cell.get_by_role("button", name="Filter for event.provider = Amazon GuardDuty").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.nb-section[data-state=ok] tbody tr[data-record]').length === 1"
    )
    assert (
        'filter event.provider == "Amazon GuardDuty"' in page.locator(".nb-section .cm-content").inner_text()
    )


def test_sections_are_saved_and_reopened(page: Any, server: Server) -> None:
    url = _new_notebook(page, server)
    page.wait_for_selector(".nb-section[data-type=dql][data-state=ok]")
    page.get_by_role("button", name="+ Text").click()
    page.locator(".nb-section[data-type=markdown] textarea").last.fill("## Findings to review")
    page.get_by_role("button", name="+ Query").click()
    page.locator(".nb-section[data-type=dql] .section-title").last.fill("Critical")
    page.get_by_label("Notebook name").fill("Reviewed in the browser")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("[data-save-status][data-kind=ok]")
    page.goto(f"{url}?{ALL_TIME}")
    assert page.locator("[data-sections] > .nb-section").count() == 3
    assert page.locator("#doc-name").input_value() == "Reviewed in the browser"
    page.wait_for_function(
        "() => [...document.querySelectorAll('.nb-section[data-type=dql]')].every(s => s.dataset.state)"
    )
    assert page.locator(".nb-section[data-type=dql] .section-title").last.input_value() == "Critical"
