"""The shell every page shares: sign-in, sessions, CSRF, timeframe, themes, static files, no outside URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.web.views.conftest import ADMIN, ALL_TIME, READER, Site, csrf_of, texts
from threatlake.web.views import NAV, PAGES

#: Every page a signed-in viewer can open with GET and no path parameters.
PATHS = sorted(
    {
        route.path
        for module in PAGES
        for route in module.ROUTES
        if "{" not in route.path
        and "." not in route.path
        and "GET" in (route.methods or ())
        and route.path != "/login"
    }
)
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "srcset", "poster", "data", "content")


def test_no_session_redirects_to_sign_in_and_back(site: Site) -> None:
    site.client.cookies.clear()
    response = site.client.get("/", params={"from": "now()-1h"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F%3Ffrom%3Dnow%2528%2529-1h"
    tree = site.html("/login", next="/?from=now()-1h")
    assert tree.css_first("input[name=next]").attributes["value"] == "/?from=now()-1h"
    token = csrf_of(site.client.get("/login").text)
    signed_in = site.client.post(
        "/login",
        data={"username": ADMIN, "password": "admin-password-1", "csrf": token, "next": "/?from=now()-1h"},
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/?from=now()-1h"
    cookie = signed_in.headers["set-cookie"]
    assert "tl_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert site.client.get("/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_sign_in_never_redirects_off_site(site: Site, target: str) -> None:
    site.client.cookies.clear()
    token = csrf_of(site.client.get("/login").text)
    response = site.client.post(
        "/login", data={"username": ADMIN, "password": "admin-password-1", "csrf": token, "next": target}
    )
    assert response.headers["location"] == "/"


def test_wrong_password_is_401_and_does_not_sign_in(site: Site) -> None:
    site.client.cookies.clear()
    token = csrf_of(site.client.get("/login").text)
    response = site.client.post("/login", data={"username": ADMIN, "password": "nope", "csrf": token})
    assert response.status_code == 401
    assert texts(HTMLParser(response.text), "[role=alert]") == ["Wrong user name or password."]
    assert site.client.get("/").status_code == 303


def test_sign_in_form_needs_its_csrf_token(site: Site) -> None:
    site.client.cookies.clear()
    site.client.get("/login")
    response = site.client.post(
        "/login", data={"username": ADMIN, "password": "admin-password-1", "csrf": "x"}
    )
    assert response.status_code == 400
    assert site.client.get("/").status_code == 303


def test_failed_sign_ins_are_throttled(site: Site) -> None:
    site.client.cookies.clear()
    token = csrf_of(site.client.get("/login").text)
    codes = [
        site.client.post("/login", data={"username": "someone", "password": "bad", "csrf": token}).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    blocked = site.client.post("/login", data={"username": "Someone", "password": "bad", "csrf": token})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    # another user from the same address is not blocked by someone's failures
    assert (
        site.client.post("/login", data={"username": "x", "password": "bad", "csrf": token}).status_code
        == 401
    )


def test_sign_out_ends_the_session(admin: Site) -> None:
    token = admin.csrf()
    assert admin.client.post("/logout", data={"csrf": "wrong"}).status_code == 403
    response = admin.client.post("/logout", data={"csrf": token})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert admin.client.get("/").status_code == 303


@pytest.mark.parametrize("path", PATHS)
def test_every_page_renders_in_the_shell(admin: Site, path: str) -> None:
    tree = admin.html(path, **ALL_TIME)
    assert tree.css_first("nav.sidebar a[aria-current=page]") is not None or path == "/"
    assert tree.css_first("form.timeframe input[name=from]").attributes["value"] == ALL_TIME["from"]
    assert texts(tree, ".who")[0].startswith(ADMIN)
    # every control has a label: inputs and selects by <label for>, aria-label or a hidden type
    labelled = {node.attributes.get("for") for node in tree.css("label")}
    for control in tree.css("input, select, textarea"):
        attributes = control.attributes
        if attributes.get("type") in ("hidden", "submit", "button"):
            continue
        assert attributes.get("id") in labelled or attributes.get("aria-label"), control.html


@pytest.mark.parametrize("path", [*PATHS, "/login"])
def test_no_page_references_an_outside_url(admin: Site, path: str) -> None:
    html = admin.client.get(path, params=ALL_TIME).text
    tree = HTMLParser(html)
    outside = []
    for node in tree.css("*"):
        for name in _URL_ATTRIBUTES:
            value = node.attributes.get(name) or ""
            for url in re.findall(r"(?:https?:)?//[^\s\"',]+", value):
                if urlsplit(url).hostname not in ("127.0.0.1", "localhost", None):
                    outside.append(f"<{node.tag} {name}={value!r}>")
    for node in tree.css("style, link[rel=stylesheet]"):
        outside.extend(re.findall(r"url\(\s*['\"]?(?:https?:)?//[^)]+\)", node.text()))
    assert outside == []
    assert "default-src 'self'" in admin.client.get(path, params=ALL_TIME).headers["content-security-policy"]


def test_the_timeframe_is_kept_in_navigation_links(admin: Site) -> None:
    tree = admin.html("/", **{"from": "now()-7d", "to": "now()"})
    links = [node.attributes["href"] for node in tree.css("nav.sidebar a")]
    assert links and all("from=now%28%29-7d" in link for link in links)
    selected = tree.css_first("#tf-preset option[selected]")
    assert selected.attributes["value"] == "now()-7d"


def test_an_absolute_timeframe_is_custom(admin: Site) -> None:
    tree = admin.html("/", **{"from": "2021-01-01T00:00:00Z", "to": "2022-01-01T00:00:00Z"})
    assert tree.css_first("#tf-preset option[selected]").text() == "Custom…"
    assert tree.css_first("#tf-to").attributes["value"] == "2022-01-01T00:00:00Z"


@pytest.mark.parametrize(("start", "end"), [("yesterday", "now()"), ("now()-1h", "now()-2h")])
def test_an_invalid_timeframe_is_a_400_page(admin: Site, start: str, end: str) -> None:
    tree = admin.html("/", 400, **{"from": start, "to": end})
    assert tree.css_first(".error-page[data-status='400']") is not None
    assert (
        "from" in tree.css_first(".error-page .message").text()
        or "before" in tree.css_first(".message").text()
    )


def test_theme_cookie_sets_the_theme(admin: Site) -> None:
    admin.client.cookies.set("tl_theme", "dark")
    assert admin.html("/").css_first("html").attributes["data-theme"] == "dark"
    admin.client.cookies.set("tl_theme", "<script>")
    assert "data-theme" not in admin.html("/").css_first("html").attributes
    assert admin.html("/").css_first("[data-theme-toggle]").attributes["aria-label"]


def test_static_files_are_hashed_cached_and_gzipped(admin: Site) -> None:
    tree = admin.html("/")
    css = tree.css_first("link[rel=stylesheet]").attributes["href"] or ""
    assert re.fullmatch(r"/static/[0-9a-f]{12}/app\.css", css)
    response = admin.client.get(css, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert b":root" in response.content  # httpx decoded it
    stale = admin.client.get(css.replace(css.split("/")[2], "0" * 12))
    assert stale.status_code == 200 and "immutable" not in stale.headers["cache-control"]
    assert admin.client.get("/static/x/../../app.py").status_code == 404
    assert admin.client.get("/static/x/vendor/recipe/package.json").status_code == 404
    for script in tree.css("script[src]"):
        assert admin.client.get(script.attributes["src"] or "").status_code == 200


def test_pages_are_gzipped_when_asked(admin: Site) -> None:
    response = admin.client.get("/", params=ALL_TIME, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "<nav" in response.text


def test_the_navigation_lists_every_section_once() -> None:
    sections = [section for section, _ in NAV]
    assert len(sections) == len(set(sections))
    assert any(link.path == "/" for _, links in NAV for link in links)


def test_read_only_user_sees_pages(reader: Site) -> None:
    tree = reader.html("/", **ALL_TIME)
    assert READER in texts(tree, ".who")[0] and "read-only" in texts(tree, ".who")[0]
