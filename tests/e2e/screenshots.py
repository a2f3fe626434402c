"""``make screenshots``: regenerate ``docs/screenshots/*.png`` of the main pages, from a real service
with the demo data in headless Chromium (the same harness as the browser tests).

Add a page by adding a line to ``SHOTS``: (file name, path and query, what to wait for, theme).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.e2e import documents_demo, harness

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
A = harness.ALL_TIME
#: (file name without .png, path with query, a selector that is visible once the page is ready, theme)
SHOTS: list[tuple[str, str, str, str]] = [
    ("login", "/login", "form", "light"),
    ("home", f"/?{A}", "[data-chart][data-state=ok]", "light"),
    ("home-dark", f"/?{A}", "[data-chart][data-state=ok]", "dark"),
    *documents_demo.SHOTS,
]


def main() -> int:
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
        for name, path, ready, theme in SHOTS:
            with harness.guarded_page(browser, color_scheme=theme) as (page, guard):
                if name != "login":
                    harness.sign_in(page, server)
                page.goto(server.url + path)
                page.locator(ready).first.wait_for()
                page.wait_for_timeout(300)  # let charts finish drawing
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                if guard.outside:
                    print(f"screenshots: {name} tried to reach {guard.outside}", file=sys.stderr)
                    return 1
            print(f"docs/screenshots/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
