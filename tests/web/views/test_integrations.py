"""The integration pages: chart per connection, connections table, configure (token once), delete."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.web.views.conftest import ALL_TIME, Site, texts

PATH = "/settings/amazon-guardduty"


def test_chart_of_ingested_events_per_connection(admin: Site) -> None:
    tree = admin.html(PATH, **ALL_TIME)
    spec = orjson.loads(tree.css_first("#ingest-chart script[type='application/json']").text())
    assert spec["time"] is True
    # the bundled samples arrived through the "samples" connection, all of them just now
    names = [series["name"] for series in spec["series"]]
    assert names == ["samples"]
    guardduty = (
        admin.store.execute("select count(*) from events where \"event.provider\" = 'Amazon GuardDuty'", [])
        .column(0)[0]
        .as_py()
    )
    assert sum(spec["series"][0]["data"]) == guardduty > 0
    assert len(spec["x"]) == len(spec["series"][0]["data"])
    assert "dt.ingest.connection" in tree.css_first("#ingest-title + p").text()


def test_configure_a_connection_shows_the_token_once_then_delete_revokes_it(admin: Site) -> None:
    csrf = admin.csrf(PATH)
    response = admin.client.post(
        f"{PATH}/connections", data={"name": "prod-eu", "region": "eu-west-1", "csrf": csrf}
    )
    assert response.status_code == 200, response.text
    tree = HTMLParser(response.text)
    token = tree.css_first("#new-token pre").text()
    assert token.startswith("tl0c01.")
    commands = [node.text() for node in tree.css("ol.commands pre")]
    assert any("secretsmanager create-secret --name threatlake/prod-eu" in command for command in commands)
    assert all("--region eu-west-1" in command for command in commands if command.startswith("aws "))
    assert len(tree.css("ol.commands [data-copy]")) == len(commands) == 4
    assert tree.css_first("#new-token [data-copy]").attributes["data-copy"] == token

    page = admin.html(PATH, **ALL_TIME)
    assert texts(page, "#connections tbody th") == ["prod-eu"]
    assert token not in page.html  # shown once
    row = page.css_first("tr[data-connection='prod-eu']")
    assert row.css_first("dialog h2").text() == "Delete connection prod-eu?"
    token_id = next(token.id for token in admin.state.tokens.list() if token.connection == "prod-eu")

    confirm = admin.html(f"{PATH}/connections/prod-eu/delete")
    assert confirm.css_first("h1").text() == "Delete connection prod-eu?"
    deleted = admin.client.post(f"{PATH}/connections/prod-eu/delete", data={"csrf": csrf})
    assert deleted.status_code == 303 and deleted.headers["location"] == f"{PATH}?deleted=prod-eu"
    assert admin.state.tokens.get(token_id).revoked
    after = admin.html(PATH, deleted="prod-eu")
    assert "prod-eu" in after.css_first("#deleted-note").text()
    assert texts(after, "#connections tbody th") == []


def test_the_htmx_dialog_gets_fragments(admin: Site) -> None:
    csrf = admin.csrf(PATH)
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    bad = admin.client.post(f"{PATH}/connections", data={"name": "no spaces"}, headers=headers)
    assert bad.status_code == 400
    tree = HTMLParser(bad.text)
    assert tree.css_first("nav.sidebar") is None  # a fragment, not a page
    assert "letters, digits" in tree.css_first("[role=alert]").text()
    assert tree.css_first("#connection-name").attributes["value"] == "no spaces"
    good = admin.client.post(f"{PATH}/connections", data={"name": "frag"}, headers=headers)
    assert good.status_code == 200 and HTMLParser(good.text).css_first("nav.sidebar") is None
    assert HTMLParser(good.text).css_first("#new-token pre").text().startswith("tl0c01.")
    taken = admin.client.post(f"{PATH}/connections", data={"name": "frag"}, headers=headers)
    assert taken.status_code == 400 and "exists" in taken.text
    admin.client.post(f"{PATH}/connections/frag/delete", data={"csrf": csrf})


def test_forms_need_the_csrf_token(admin: Site) -> None:
    response = admin.client.post(f"{PATH}/connections", data={"name": "nocsrf", "csrf": "forged"})
    assert response.status_code == 403
    assert HTMLParser(response.text).css_first(".error-page[data-status='403']") is not None
    assert all(record.name != "nocsrf" for record in admin.state.connections.list())


def test_read_only_user_sees_but_cannot_change(reader: Site, site: Site) -> None:
    site.state.connections.create("ro-test", "aws-security-hub", now=datetime.now(UTC))
    tree = reader.html("/settings/aws-security-hub", **ALL_TIME)
    assert texts(tree, "#connections tbody th") == ["ro-test"]
    assert tree.css_first("#configure-new") is None
    assert tree.css_first("[aria-disabled=true]").text() == "Configure new connection"
    assert tree.css_first("#connections dialog") is None
    csrf = reader.csrf("/settings/aws-security-hub")
    denied = reader.client.post("/settings/aws-security-hub/connections/ro-test/delete", data={"csrf": csrf})
    assert denied.status_code == 403
    assert "read-only" in HTMLParser(denied.text).css_first(".message").text()
    assert reader.client.get("/settings/aws-security-hub/connections/new").status_code == 403
    assert site.state.connections.get("ro-test")


@pytest.mark.parametrize("path", [PATH, "/settings/aws-security-hub"])
def test_open_with_notebook_and_templates(admin: Site, path: str) -> None:
    tree = admin.html(path)
    link = tree.css_first("[data-open-with=notebook]").attributes["href"] or ""
    assert link.startswith("/notebooks/new?query=fetch+security.events")
    assert texts(tree, "#templates ul.templates li")


def test_unknown_connection_is_a_404_page(admin: Site) -> None:
    tree = admin.html(f"{PATH}/connections/nope/delete", 404)
    assert "nope" in tree.css_first(".message").text()
