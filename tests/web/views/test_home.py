"""Home: each finding counted once at its newest version, by provider and risk; the newest critical ones."""

from __future__ import annotations

from urllib.parse import unquote

from tests.web.views.conftest import ALL_TIME, Site, texts

NEWEST = (
    'select "finding.id", "event.provider", "dt.security.risk.level" from events'
    ' qualify row_number() over (partition by "finding.id" order by "timestamp" desc) = 1'
)


def test_home_counts_each_finding_once_at_its_newest_risk(admin: Site) -> None:
    newest = admin.store.execute(NEWEST).to_pylist()
    tree = admin.html("/", **ALL_TIME)
    assert int(tree.css_first("[data-total]").text().replace(",", "")) == len(newest) > 0
    headers = texts(tree, "#by-provider thead th")[1:]
    for row in tree.css("#by-provider tbody tr"):
        provider = row.css_first("th").text(strip=True)
        cells = dict(
            zip(headers, [int(cell.text(strip=True).replace(",", "")) for cell in row.css("td")], strict=True)
        )
        expected = sum(1 for item in newest if item["event.provider"] == provider)
        assert sum(cells.values()) == expected > 0
    critical = {  # critical now: at their newest version
        str(row["finding.id"]) for row in newest if row["dt.security.risk.level"] == "CRITICAL"
    }
    shown = [unquote(node.attributes["href"] or "") for node in tree.css("#newest-critical a")]
    assert len(shown) == min(10, len(critical)) > 0
    assert {href.removeprefix("/threats/") for href in shown} <= critical


def test_ingest_health_shows_the_demo_connection_from_its_stored_events(admin: Site) -> None:
    stored = (
        admin.store.execute("select count(*) from events where \"dt.ingest.connection\" = 'samples'")
        .column(0)[0]
        .as_py()
    )
    tree = admin.html("/", **ALL_TIME)
    row = next(row for row in tree.css("#ingest-health tbody tr") if row.css_first("th").text() == "samples")
    integration, last_seen, _, received = (cell.text(strip=True) for cell in row.css("td"))
    assert integration == "demo data"
    assert last_seen not in ("", "never", "—")
    assert int(received.replace(",", "")) == stored > 0
