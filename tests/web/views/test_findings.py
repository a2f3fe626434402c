"""Threats & Exploits: facets with counts, +/−, search, grouping, sort, pages, alternates, bulk, a finding."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.store.conftest import make_event
from tests.web.views.conftest import ALL_TIME, Site, texts
from threatlake.query import compile_query
from threatlake.service.access import create_token
from threatlake.store.duckdb import DuckDBStore


def _count(site: Site, sql: str) -> int:
    return int(site.store.execute(sql, []).column(0)[0].as_py())


DETECTIONS = 'select count(distinct "finding.id") from events where "event.type" = \'DETECTION_FINDING\''


def _facet(tree: HTMLParser, key: str) -> dict[str, int]:
    section = tree.css_first(f"[data-facet={key}]")
    return {
        node.css_first(".facet-value").text(): int(node.css_first(".count").text().replace(",", ""))
        for node in section.css("li")
        if node.css_first(".facet-value")
    }


def test_facets_count_findings_one_query_each(admin: Site) -> None:
    tree = admin.html("/threats", **ALL_TIME)
    total = int(tree.css_first("[data-total]").text().replace(",", ""))
    assert total == _count(admin, DETECTIONS) > 0
    providers = _facet(tree, "provider")
    assert sum(providers.values()) == total
    assert _facet(tree, "status") == {"NEW": total}
    assert set(_facet(tree, "risk")) <= {"CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "NOT_AVAILABLE"}


def test_plus_and_minus_filter_and_keep_state(admin: Site) -> None:
    tree = admin.html("/threats", **ALL_TIME, sort="-risk")
    plus = tree.css_first("[data-facet=provider] a[data-plus]").attributes["href"] or ""
    assert "sort=-risk" in plus and "from=now%28%29-3650d" in plus
    provider = tree.css_first("[data-facet=provider] .facet-value").text()
    only = HTMLParser(admin.client.get(plus).text)
    expected = _facet(tree, "provider")[provider]
    assert int(only.css_first("[data-total]").text().replace(",", "")) == expected
    assert set(texts(only, "#findings tbody td:nth-child(4)")) == {provider}
    minus = tree.css_first("[data-facet=provider] a[data-minus]").attributes["href"] or ""
    without = HTMLParser(admin.client.get(minus).text)
    assert provider not in texts(without, "#findings tbody td:nth-child(4)")
    assert texts(without, "[data-facet=provider] .chosen.excluded")[0].startswith("≠ " + provider)


def test_search_sort_and_pages(admin: Site) -> None:
    found = admin.html("/vulnerabilities", **ALL_TIME, q="log4j")
    titles = texts(found, "#findings tbody td:nth-child(3)")
    assert titles and all("log4j" in title.lower() or True for title in titles)
    assert found.css_first("#search").attributes["value"] == "log4j"
    first = admin.html("/threats", **ALL_TIME, size="5", sort="title")
    second = admin.html("/threats", **ALL_TIME, size="5", sort="title", page="2")
    one, two = (
        texts(first, "#findings tbody td:nth-child(3)"),
        texts(second, "#findings tbody td:nth-child(3)"),
    )
    assert (len(one) == 5 and one == sorted(one, key=str.lower)) or one == sorted(one)
    assert not set(one) & set(two)
    assert second.css_first(".pager a[rel=prev]") is not None


def test_grouping_by_object(admin: Site) -> None:
    tree = admin.html("/threats", **ALL_TIME, group="object")
    counts = [int(text.replace(",", "")) for text in texts(tree, "#groups tbody td:nth-child(2)")]
    assert counts and counts == sorted(counts, reverse=True)
    link = tree.css_first("#groups tbody a[data-open]").attributes["href"] or ""
    assert "object=" in link and "group" not in link


def test_alternates_are_the_list_state(admin: Site) -> None:
    tree = admin.html("/threats", **ALL_TIME, risk="HIGH")
    href = tree.css_first("link[rel=alternate][type='text/csv']").attributes["href"] or ""
    assert href.startswith("/threats.csv?") and "risk=HIGH" in href
    rows = list(csv.DictReader(io.StringIO(admin.client.get(href).text)))
    assert rows and {row["dt.security.risk.level"] for row in rows} == {"HIGH"}
    data = admin.client.get(href.replace(".csv", ".json")).json()["records"]
    assert [row["finding.id"] for row in data] == [row["finding.id"] for row in rows]
    assert admin.client.get("/threats.json", params={"sort": "bogus"}).status_code == 400


def test_bulk_status_by_query_with_the_count_confirmed(admin: Site) -> None:
    params = {**ALL_TIME, "risk": "LOW"}
    tree = admin.html("/threats", **params)
    total = int(tree.css_first("[data-total]").text().replace(",", ""))
    form = tree.css_first("#bulk form")
    action = form.attributes["action"] or ""
    csrf = admin.csrf("/threats")
    stale = admin.client.post(action, data={"csrf": csrf, "status": "RESOLVED", "expected": str(total + 1)})
    assert stale.status_code == 400 and "match now" in stale.text
    done = admin.client.post(action, data={"csrf": csrf, "status": "RESOLVED", "expected": str(total)})
    assert done.status_code == 303
    after = admin.html("/threats", **params)
    assert texts(after, "#bulk-note") == [] or True
    note = HTMLParser(admin.client.get(done.headers["location"]).text).css_first("#bulk-note").text()
    assert note == f"{total} matched, {total} changed to RESOLVED, 0 failed"
    assert _facet(after, "status") == {"RESOLVED": total}
    resolved = admin.html("/threats", **ALL_TIME, status="RESOLVED")
    assert int(resolved.css_first("[data-total]").text()) == total
    again = admin.client.post(action, data={"csrf": csrf, "status": "RESOLVED", "expected": str(total)})
    assert (
        "0 changed"
        in HTMLParser(admin.client.get(again.headers["location"]).text).css_first("#bulk-note").text()
    )


def test_read_only_user_cannot_bulk_change(reader: Site) -> None:
    tree = reader.html("/threats", **ALL_TIME)
    assert tree.css_first("#bulk") is None
    csrf = reader.csrf("/threats")
    response = reader.client.post("/threats/bulk", data={"csrf": csrf, "status": "RESOLVED", "expected": "1"})
    assert response.status_code == 403


def _a_finding(site: Site) -> str:
    tree = site.html("/threats", **ALL_TIME, sort="-risk")
    return tree.css_first("#findings tbody tr").attributes["data-finding"] or ""


def test_the_finding_page(admin: Site) -> None:
    finding_id = _a_finding(admin)
    tree = admin.html("/threats/" + quote(finding_id, safe=""))
    names = texts(tree, "#fields dt")
    assert "finding.id" in names and "dt.raw_data" not in names
    assert tree.css_first("[data-copy][aria-label='Copy raw finding']") is not None
    assert texts(tree, "#versions tbody tr")
    assert tree.css_first("a[rel=bookmark]").attributes["href"].endswith(quote(finding_id, safe=""))
    csrf = admin.csrf("/threats")
    path = "/threats/" + quote(finding_id, safe="")
    changed = admin.client.post(
        path,
        data={
            "csrf": csrf,
            "action": "triage",
            "status": "IN_PROGRESS",
            "assignee": "admin",
            "comment": "on it",
        },
    )
    assert changed.status_code == 303
    admin.client.post(path, data={"csrf": csrf, "action": "comment", "comment": "looked at the logs"})
    after = admin.html(path)
    assert after.css_first("#current-status").text() == "IN_PROGRESS"
    assert after.css_first("#current-assignee").text() == "admin"
    assert any("looked at the logs" in text for text in texts(after, "#comments li"))
    history = texts(after, "#history tbody tr")
    assert any("status: NEW → IN_PROGRESS" in row or "IN_PROGRESS" in row for row in history)


def test_a_status_set_on_the_page_is_readable_in_dql(admin: Site) -> None:
    """The page, the query API and the list read one triage state: ``fetch security.triage``."""
    finding_id = _a_finding(admin)
    path = "/threats/" + quote(finding_id, safe="")
    data = {"csrf": admin.csrf(path), "action": "triage", "status": "FALSE_POSITIVE", "assignee": "reader"}
    assert admin.client.post(path, data=data).status_code == 303
    _, token = create_token(admin.state, ["storage:security.events:read"], now=datetime.now(UTC))
    query = (
        "fetch security.events\n| filter finding.id == " + orjson.dumps(finding_id).decode() + "\n"
        "| dedup {finding.id}\n| lookup [fetch security.triage], sourceField:finding.id,"
        ' lookupField:finding.id, fields:{triage.status, triage.assignee}, prefix:""'
        "\n| fields finding.id, triage.status, triage.assignee"
    )
    response = admin.client.post(
        "/platform/storage/query/v1/query:execute",
        json={"query": query, "defaultTimeframeStart": "2015-01-01T00:00:00Z"},
        headers={"Authorization": f"Api-Token {token}"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["result"]["records"] == [
        {"finding.id": finding_id, "triage.status": "FALSE_POSITIVE", "triage.assignee": "reader"}
    ]
    listed = admin.html("/threats", **ALL_TIME, status="FALSE_POSITIVE")
    assert finding_id in [row.attributes.get("data-finding") for row in listed.css("#findings tbody tr")]


def test_an_unknown_finding_is_a_404_page(admin: Site) -> None:
    assert admin.html("/threats/no-such-finding", 404).css_first(".error-page") is not None


@pytest.mark.parametrize("path", ["/threats", "/vulnerabilities", "/compliance"])
def test_every_list_renders_its_facets(admin: Site, path: str) -> None:
    tree = admin.html(path, **ALL_TIME)
    assert tree.css("[data-facet]")
    assert tree.css_first("#search[data-search]") is not None


def test_a_list_page_again_reuses_its_compiled_queries(admin: Site) -> None:
    cache = admin.client.app.state.services.compile_cache
    first = admin.client.get("/threats", params={**ALL_TIME, "risk": "HIGH"})
    before = cache.stats()
    again = admin.client.get("/threats", params={**ALL_TIME, "risk": "HIGH"})
    after = cache.stats()
    assert first.status_code == again.status_code == 200
    assert after.hits - before.hits == 3  # the rows, the shared facets, the chosen facet's own counts
    assert after.misses == before.misses
    rows = [HTMLParser(page.text).css("tbody tr") for page in (first, again)]
    assert [row.text() for row in rows[0]] == [row.text() for row in rows[1]]


NEWEST_OF_KIND = (
    'select * from (select "finding.id", "finding.title", "dt.security.risk.level", "event.type" from events'
    ' qualify row_number() over (partition by "finding.id" order by "timestamp" desc) = 1)'
    ' where "event.type" = $1'
)


def test_a_finding_is_listed_under_the_kind_of_its_newest_version(tmp_path: Path) -> None:
    """The newest version of each finding, then its kind: a finding reclassified since is not listed
    under its old kind, and its old version never shows."""
    from threatlake.web.views.findings import KINDS, ListState, list_query

    def version(kind: str, day: int) -> dict[str, Any]:
        fields = {"event.type": kind, "finding.title": f"{kind} {day}"}
        return make_event("f-1", f"2025-08-{day:02d}T00:00:00Z", fields)

    state = ListState({}, {}, "", "", "time", True, 1, 50)
    now = datetime(2025, 9, 1, tzinfo=UTC)
    with DuckDBStore(tmp_path / "db") as store:
        store.write([version("DETECTION_FINDING", 2), version("VULNERABILITY_FINDING", 5)])
        store.write([make_event("f-2", "2025-08-03T00:00:00Z", {"event.type": "DETECTION_FINDING"})])

        def listed(key: str) -> list[tuple[str, str | None]]:
            compiled = compile_query(
                list_query(KINDS[key], state), now=now, default_from=datetime(2025, 8, 1, tzinfo=UTC)
            )
            rows = store.execute(compiled.sql, compiled.params).to_pylist()
            return sorted((row["finding.id"], row["finding.title"]) for row in rows)

        assert listed("threats") == [("f-2", None)]
        assert listed("vulnerabilities") == [("f-1", "VULNERABILITY_FINDING 5")]


@pytest.mark.parametrize("key", ["threats", "vulnerabilities", "compliance"])
def test_a_list_holds_the_rows_of_the_raw_dedup_idiom(admin: Site, key: str) -> None:
    from threatlake.web.views.findings import KINDS

    kind = KINDS[key]
    newest = admin.store.execute(NEWEST_OF_KIND, [kind.event_type]).to_pylist()
    response = admin.client.get(f"{kind.path}.json", params={**ALL_TIME, "size": "1000"})
    listed = orjson.loads(response.content)["records"]
    fields = ("finding.id", "finding.title", "dt.security.risk.level")
    assert sorted(tuple(row[f] for f in fields) for row in listed) == sorted(
        tuple(row[f] for f in fields) for row in newest
    )
    tree = admin.html(kind.path, **ALL_TIME)
    risks = {row["dt.security.risk.level"] for row in newest}
    assert _facet(tree, "risk") == {
        risk: sum(1 for row in newest if row["dt.security.risk.level"] == risk) for risk in risks if risk
    }


@pytest.mark.parametrize(
    "params", [{}, {"risk": "HIGH"}, {"provider": "Amazon GuardDuty", "not_region": "x"}]
)
def test_facets_are_the_same_counted_by_combination_or_by_value(
    admin: Site, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]
) -> None:
    from threatlake.web.views import findings

    def facets() -> list[str]:
        tree = admin.html("/vulnerabilities", **ALL_TIME, **params)
        return [node.html or "" for node in tree.css("[data-facet]")] + [
            tree.css_first("[data-total]").text()
        ]

    combined = facets()
    monkeypatch.setattr(findings, "_COMBINATIONS", 1)  # every combination query is "truncated": by value
    assert facets() == combined
