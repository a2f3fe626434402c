"""Settings pages: tokens (create once, revoke), users (add, admin only), buckets and pipelines listed."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.web.views.conftest import Site, texts


def test_create_and_revoke_a_token(admin: Site) -> None:
    csrf = admin.csrf("/settings/tokens")
    response = admin.client.post(
        "/settings/tokens", data={"csrf": csrf, "name": "siem", "scope": "settings:read"}
    )
    tree = HTMLParser(response.text)
    text = tree.css_first("#created-token pre").text()
    assert text.startswith("tl0c01.")
    record = next(token for token in admin.state.tokens.list() if token.name == "siem")
    assert record.scopes == ("settings:read",)
    assert text not in admin.client.get("/settings/tokens").text
    revoked = admin.client.post("/settings/tokens/revoke", data={"csrf": csrf, "id": record.id})
    assert revoked.status_code == 303
    assert admin.state.tokens.get(record.id).revoked


def test_add_a_user_and_sign_in_as_them(admin: Site) -> None:
    csrf = admin.csrf("/settings/users")
    added = admin.client.post(
        "/settings/users", data={"csrf": csrf, "name": "ana", "password": "ana-password-1", "role": "viewer"}
    )
    assert added.status_code == 303
    assert "ana" in texts(admin.html("/settings/users"), "#settings-table tbody th")
    admin.sign_in("ana", "ana-password-1")
    assert "read-only" in texts(admin.html("/"), ".who")[0]


def test_read_only_user_cannot_change_settings(reader: Site) -> None:
    tree = reader.html("/settings/tokens")
    assert (
        tree.css_first("#token-name") is None
        and tree.css_first("form[action='/settings/tokens/revoke']") is None
    )
    csrf = reader.csrf("/settings/tokens")
    assert (
        reader.client.post("/settings/tokens", data={"csrf": csrf, "scope": "settings:read"}).status_code
        == 403
    )
    assert reader.client.post("/settings/users", data={"csrf": csrf, "name": "x"}).status_code == 403


def test_buckets_and_pipelines_are_listed(admin: Site) -> None:
    assert texts(admin.html("/settings/buckets"), "#settings-table tbody th")
    assert admin.html("/settings/pipelines").css_first("#settings-table") is not None
