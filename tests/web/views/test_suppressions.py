"""Suppression rules: saved with a compiled condition, show their matches, apply a status (none deleted)."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.web.views.conftest import Site, texts

PATH = "/threats/suppressions"
CONDITION = 'event.provider == "Amazon GuardDuty" and dt.security.risk.level == "LOW"'


def test_a_rule_matches_and_applies(admin: Site) -> None:
    csrf = admin.csrf(PATH)
    bad = admin.client.post(PATH, data={"csrf": csrf, "name": "bad", "condition": "event.provider =="})
    assert bad.status_code == 400
    assert "at line 3, column 1" in HTMLParser(bad.text).css_first(".message").text()
    saved = admin.client.post(
        PATH,
        data={
            "csrf": csrf,
            "name": "low gd",
            "condition": CONDITION,
            "status": "FALSE_POSITIVE",
            "reason": "noise",
        },
    )
    assert saved.status_code == 303
    tree = admin.html(PATH)
    matches = int(tree.css_first("#rules tbody [data-matches]").text())
    expected = int(
        admin.store.execute(
            'select count(distinct "finding.id") from events where "event.provider" = \'Amazon GuardDuty\''
            " and \"dt.security.risk.level\" = 'LOW'",
            [],
        )
        .column(0)[0]
        .as_py()
    )
    assert matches == expected > 0
    rule_id = tree.css_first("#rules tbody tr").attributes["data-rule"]
    applied = admin.client.post(f"{PATH}/apply", data={"csrf": csrf, "id": rule_id})
    assert applied.status_code == 303
    note = HTMLParser(admin.client.get(applied.headers["location"]).text)
    assert texts(note, "#note") == [f"{expected} matched, {expected} set to FALSE_POSITIVE"]
    after = admin.html("/threats", **{"from": "now()-3650d", "status": "FALSE_POSITIVE"})
    assert int(after.css_first("[data-total]").text()) >= expected
