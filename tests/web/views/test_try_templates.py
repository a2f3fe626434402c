"""The integration pages' "Try our templates": one click installs the integration's dashboards and workflow
templates (with their inputs), once, then links to them."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from tests.web.views.conftest import READER, READER_PASSWORD, Site
from threatlake.workflows.hosting import engine_for

GUARDDUTY = "/settings/amazon-guardduty"
SECURITY_HUB = "/settings/aws-security-hub"


def _workflows(site: Site) -> dict[str, dict[str, object]]:
    return {wf.title: wf.inputs for _, wf in engine_for(site.state, None).workflows()}


def test_one_click_installs_dashboards_and_workflows_once(admin: Site) -> None:
    tree = admin.html(SECURITY_HUB)
    offered = [n.attributes["value"] for n in tree.css("#templates-form input[type=checkbox]")]
    assert offered == [
        "Security findings overview",
        "AWS Security Hub compliance",
        "Container vulnerabilities",
        "critical-container-vulnerabilities-jira",
        "daily-top-findings-email",
    ]
    assert tree.css_first("input[name='daily-top-findings-email.recipients']") is not None
    data = {
        "csrf": admin.csrf(SECURITY_HUB),
        "dashboard": [
            "Security findings overview",
            "AWS Security Hub compliance",
            "Container vulnerabilities",
        ],
        "workflow": ["critical-container-vulnerabilities-jira", "daily-top-findings-email"],
        "critical-container-vulnerabilities-jira.project": "VULN",
        "daily-top-findings-email.recipients": "soc@example.com",
    }
    response = admin.client.post(f"{SECURITY_HUB}/templates", data=data)
    assert response.status_code == 303, response.text[:1000]
    assert response.headers["location"] == f"{SECURITY_HUB}?installed=5#templates"
    installed = _workflows(admin)
    assert installed["New critical container vulnerabilities to Jira"]["project"] == "VULN"
    assert installed["Daily e-mail of the top findings per account"]["recipients"] == "soc@example.com"

    tree = admin.html(SECURITY_HUB, installed="5")
    links = [n.attributes["href"] for n in tree.css("#templates [data-open]")]
    assert "/dashboards/threatlake-aws-security-hub-compliance" in links
    assert sum(link.startswith("/automation/workflows/") for link in links) == 2
    assert tree.css("#templates-form input[type=checkbox]") == []  # nothing left to install
    for link in links:
        assert admin.client.get(link).status_code == 200, link

    again = admin.client.post(f"{SECURITY_HUB}/templates", data=data)
    assert again.headers["location"] == f"{SECURITY_HUB}?installed=0#templates"
    assert len(_workflows(admin)) == len(installed)  # installed once

    # GuardDuty shares the overview dashboard: it shows as installed there too
    tree = admin.html(GUARDDUTY)
    assert tree.css_first("[data-dashboard='Security findings overview'] [data-open]") is not None
    assert [n.attributes["data-workflow-template"] for n in tree.css("[data-workflow-template]")] == [
        "critical-detections-jira",
        "critical-detections-slack",
        "critical-detections-teams",
    ]


def test_a_bad_input_installs_nothing(admin: Site) -> None:
    before = len(_workflows(admin))
    data = {
        "csrf": admin.csrf(GUARDDUTY),
        "workflow": ["critical-detections-slack", "critical-detections-jira"],
        "critical-detections-jira.project": "",
        "critical-detections-jira.unknown": "x",
    }
    response = admin.client.post(f"{GUARDDUTY}/templates", data=data)
    assert response.status_code == 400
    assert "has no input 'unknown'" in HTMLParser(response.text).css_first(".message").text()
    assert len(_workflows(admin)) == before
    empty = admin.client.post(f"{GUARDDUTY}/templates", data={"csrf": admin.csrf(GUARDDUTY)})
    assert empty.status_code == 400


def test_reader_cannot_install_and_csrf_is_checked(admin: Site) -> None:
    assert admin.client.post(f"{GUARDDUTY}/templates", data={"csrf": "x", "workflow": "x"}).status_code == 403
    admin.sign_in(READER, READER_PASSWORD)
    tree = admin.html(GUARDDUTY)
    assert tree.css_first("#install-templates") is None
    assert all("disabled" in n.attributes for n in tree.css("#templates-form input[type=checkbox]"))
    data = {"csrf": admin.csrf(GUARDDUTY), "workflow": "critical-detections-teams"}
    assert admin.client.post(f"{GUARDDUTY}/templates", data=data).status_code == 403
