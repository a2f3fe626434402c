"""``make screenshots``: regenerate ``docs/screenshots/*.png`` of the main pages, from a real service
with the demo data in headless Chromium (the same harness as the browser tests).

Add a page by adding a line to ``SHOTS``: (file name, path and query, what to wait for, theme, and
optionally what to do on the page before the picture).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e import documents_demo, harness, workflows_demo

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
A = harness.ALL_TIME


def _configure_connection(page: Any) -> None:
    page.get_by_role("link", name="Configure new connection").click()
    page.get_by_label("Connection name").fill("prod-eu")
    page.get_by_label("AWS region").fill("eu-west-1")
    page.get_by_role("button", name="Create connection").click()
    page.locator("#new-token pre").wait_for()


def _open_first_finding(page: Any) -> None:
    page.locator("#findings tbody a[data-open]").first.click()
    page.locator("#fields").wait_for()


Act = Callable[[Any], None] | None
#: (file name without .png, path with query, a selector visible once the page is ready, theme, action)
SHOTS: list[tuple[str, str, str, str, Act]] = [
    ("login", "/login", "form", "light", None),
    ("home", f"/?{A}", "[data-chart][data-state=ok]", "light", None),
    ("home-dark", f"/?{A}", "[data-chart][data-state=ok]", "dark", None),
    (
        "integration-guardduty",
        f"/settings/amazon-guardduty?{A}",
        "#ingest-chart[data-state=ok]",
        "light",
        None,
    ),
    ("connection-created", "/settings/amazon-guardduty", "h1", "light", _configure_connection),
    (
        "integration-securityhub",
        f"/settings/aws-security-hub?{A}",
        "#ingest-chart[data-state=ok]",
        "dark",
        None,
    ),
    ("threats", f"/threats?{A}", "#findings", "light", None),
    ("finding", f"/threats?{A}&sort=-risk", "#findings", "light", _open_first_finding),
    ("vulnerabilities", f"/vulnerabilities?{A}", "#findings", "dark", None),
    ("compliance", f"/compliance?{A}&group=object", "#groups", "light", None),
    ("tokens", "/settings/tokens", "#settings-table", "light", None),
    *((*shot, None) for shot in documents_demo.SHOTS),
    *workflows_demo.SHOTS,
]


def main(only: list[str]) -> int:
    """Every shot, or those named in ``only`` (``python -m tests.e2e.screenshots workflows credentials``)."""
    reason = harness.why_no_browser()
    if reason:
        print(f"screenshots: {reason}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        harness.demo_server(Path(tmp) / "data") as server,
        harness.chromium() as browser,
    ):
        documents_demo.prepare(server)
        workflows_demo.prepare(server)
        for name, path, ready, theme, act in SHOTS:
            if only and name not in only:
                continue
            with harness.guarded_page(browser, color_scheme=theme) as (page, guard):
                if name != "login":
                    harness.sign_in(page, server)
                page.goto(server.url + path)
                page.locator(ready).first.wait_for()
                if act is not None:
                    act(page)
                page.wait_for_timeout(300)  # let charts finish drawing
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=name != "connection-created")
                if guard.outside:
                    print(f"screenshots: {name} tried to reach {guard.outside}", file=sys.stderr)
                    return 1
            print(f"docs/screenshots/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
