"""The credentials page: list (never a secret), create per type, delete; read-only users see only; CSRF."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.web.views.conftest import READER, READER_PASSWORD, Site, texts

PATH = "/automation/credentials"


def test_create_each_type_list_and_delete_without_showing_secrets(admin: Site) -> None:
    tree = admin.html(PATH)
    assert [n.attributes["data-credential-type"] for n in tree.css("[data-credential-type]")] == [
        "jira", "slack", "msteams", "smtp", "http",
    ]  # fmt: skip
    assert all(
        n.attributes["type"] == "password" for n in tree.css("[data-credential-type=jira] #jira-apiToken")
    )
    csrf = admin.csrf(PATH)
    forms = {
        "jira": {"url": "https://jira.example.com", "email": "sec@example.com", "apiToken": "JIRA-SECRET-1"},
        "slack": {"token": "xoxb-SECRET-2"},
        "msteams": {"webhookUrl": "https://example.webhook.office.com/SECRET-3"},
        "smtp": {"host": "127.0.0.1", "port": "2525", "sender": "tl@example.com", "password": "SECRET-4",
                 "username": "tl", "tls": "tls"},
        "http": {"secret": "SECRET-5"},
    }  # fmt: skip
    for kind, fields in forms.items():
        data = {"csrf": csrf, "type": kind, "name": f"{kind}-page", **fields}
        if kind == "jira":
            data["default"] = "on"
        response = admin.client.post(PATH, data=data)
        assert response.status_code == 303, response.text[:1000]
    tree = admin.html(PATH)
    rows = {n.attributes["data-credential"]: n for n in tree.css("#credentials tbody tr")}
    assert {f"{kind}-page" for kind in forms} <= set(rows)
    assert texts(rows["jira-page"], "td")[1] == "yes"
    assert "apiToken" in rows["jira-page"].text()  # field names, never values
    assert "SECRET" not in tree.html
    assert admin.state.credentials.decrypt("smtp-page")["tls"] == "tls"
    assert admin.state.credentials.get("jira-page").default

    refused = admin.client.post(
        PATH, data={"csrf": csrf, "type": "slack", "name": "bad one", "token": "xoxb-SECRET-6"}
    )
    assert refused.status_code == 400
    page = HTMLParser(refused.text)
    assert page.css_first("[data-credential-type=slack] [data-error]") is not None
    assert "SECRET-6" not in refused.text  # not even a refused form shows a secret back
    assert page.css_first("#slack-name").attributes["value"] == "bad one"
    neither = admin.client.post(PATH, data={"csrf": csrf, "type": "slack", "name": "empty"})
    assert neither.status_code == 400

    gone = admin.client.post(f"{PATH}/delete", data={"csrf": csrf, "name": "http-page"})
    assert gone.status_code == 303
    assert admin.html(PATH).css_first("tr[data-credential=http-page]") is None


def test_reader_sees_the_list_but_cannot_change_it(admin: Site) -> None:
    csrf = admin.csrf(PATH)
    data = {"csrf": csrf, "type": "msteams", "name": "teams-read", "webhookUrl": "https://x.example/SECRET"}
    assert admin.client.post(PATH, data=data).status_code == 303
    admin.sign_in(READER, READER_PASSWORD)
    tree = admin.html(PATH)
    assert tree.css_first("tr[data-credential=teams-read]") is not None
    assert tree.css("form[method=post][action='/automation/credentials']") == []
    assert tree.css("#credentials form") == []
    csrf = admin.csrf(PATH)
    assert admin.client.post(f"{PATH}/delete", data={"csrf": csrf, "name": "teams-read"}).status_code == 403
    assert admin.client.post(PATH, data={**data, "csrf": csrf, "name": "other"}).status_code == 403
    admin.sign_in()
    assert (
        admin.client.post(f"{PATH}/delete", data={"csrf": "wrong", "name": "teams-read"}).status_code == 403
    )
    assert admin.state.credentials.get("teams-read").name == "teams-read"
