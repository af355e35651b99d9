"""A breach in a real browser, from a monitoring alert to closed: the compliance officer opens
the incident from the alert, finds the clocks right (deadline in UTC and in its zone, the
countdown running), computes the affected customers, contains, decides every notice,
writes the review after a re-run and closes it, under the production CSP at 1280x800."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, expect
from pytest_django import Settings

from accounts.models import Role, Team, User
from ccplatform.deadlines import Deadline
from customers.models import Customer
from incidents.models import Incident, ObligationStatus, Status
from tests.browser import BrowserPage, browser_page_fixture  # noqa: F401 - registers the fixture
from tests.incidents.world import bulk_alert, customers_in, touched_by
from tests.personas import PASSWORD, current_code, make_person

SCREENSHOT = "/tmp/incident-page.png"

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(browser_page: BrowserPage, button: Locator) -> None:
    with browser_page.page.expect_navigation():
        button.click()
    assert browser_page.server_errors() == []


def _sign_in(browser_page: BrowserPage, user: User) -> None:
    page = browser_page.page
    page.goto(browser_page.url("/accounts/login/"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    _submit(browser_page, page.get_by_role("button", name="Continue"))
    page.get_by_role("textbox", name="Code", exact=True).fill(current_code(user))
    _submit(browser_page, page.get_by_role("button", name="Sign in"))


def _step(browser_page: BrowserPage, label: str) -> None:
    page = browser_page.page
    _submit(browser_page, page.get_by_role("button", name=f"Move to {label}"))
    expect(page.locator("[data-status-badge]")).to_have_text(label.capitalize())


def _fits(browser_page: BrowserPage) -> None:
    overflow = browser_page.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{browser_page.page.url} is {overflow}px too wide"


def test_a_breach_from_a_monitoring_alert_to_closed(
    browser_page: BrowserPage,
    compliance_officer: User,
    agent: User,
    team_a: Team,
    settings: Settings,
) -> None:
    settings.INCIDENT_DPO_CONTACT = "Dana Privacy, dpo@example.com"
    approver = make_person("comply.cleo", Role.COMPLIANCE_OFFICER)
    customers = customers_in(team_a)
    touched_by(agent, customers, reveal=1)
    alert = bulk_alert(settings)
    page = browser_page.page
    _sign_in(browser_page, compliance_officer)

    # From the alert queue to the report form, the alert already checked as evidence.
    page.goto(browser_page.url("/compliance/audit/alerts/"))
    _submit(
        browser_page,
        page.locator(f"#alert-{alert.pk}").get_by_role("link", name="Open an incident"),
    )
    expect(page.get_by_role("heading", name="Report an incident")).to_be_visible()
    expect(page.locator(f'input[name="alert_ids"][value="{alert.pk}"]')).to_be_checked()
    page.get_by_label("Title").fill("Agent account used from an unknown device")
    page.get_by_label("Nature").select_option("confidentiality")
    page.get_by_label("What happened to the data").select_option("unauthorised_access")
    page.get_by_label("Risk to people's rights and freedoms").select_option("high")
    page.get_by_label("Contact details").check()
    _submit(browser_page, page.get_by_role("button", name="Report"))
    incident = Incident.objects.get()
    assert incident.discovered_at == alert.first_seen  # proposed from the alert

    # The clocks: GDPR's 72 hours from awareness, shown in UTC and counting down.
    gdpr = incident.obligations.get(rule="gdpr.33.authority")
    assert gdpr.deadline == incident.aware_at + timedelta(hours=72)
    row = page.locator('tr[data-obligation="gdpr.33.authority"]')
    expect(row).to_contain_text(gdpr.deadline.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    expect(row.locator("[data-countdown]")).to_have_text(re.compile(r"^(2 d 23 h|3 d 0 h)$"))
    page.screenshot(path=SCREENSHOT, full_page=True)
    _fits(browser_page)
    _step(browser_page, "triage")

    # Affected customers from the audit log: the agent's account.
    form = page.locator("[data-affected-form]")
    form.get_by_label("A person's account").select_option(label=agent.username)
    _submit(browser_page, form.get_by_role("button", name="Compute affected customers"))
    expect(page.locator("[data-affected-total]")).to_have_text("4")
    expect(page.locator("[data-affected-plaintext]")).to_have_text("1")
    expect(page.locator('[data-regions] tr[data-region="US-TX"]')).to_contain_text("1")
    # The Texas and California residents now owe their states' notices, in their zones.
    texas = incident.obligations.get(rule="us-tx.residents", place="US-TX")
    expect(page.locator('tr[data-obligation="us-tx.residents US-TX"]')).to_contain_text(
        Deadline(texas.deadline, texas.zone).shown()
    )

    # Containment: the agent's account, then seal the customers.
    disable = page.locator('[data-contain="disable_users"]')
    disable.get_by_label("Accounts").select_option(label=agent.username)
    disable.get_by_label("Reason").fill("Account used from an unknown device")
    _submit(browser_page, disable.get_by_role("button", name="Disable"))
    seal = page.locator('[data-contain="seal_customers"]')
    seal.get_by_label("Reason").fill("No reveal until notified")
    _submit(browser_page, seal.get_by_role("button", name="Apply"))
    expect(page.locator("#timeline")).to_contain_text("Sealed 4 customer(s)")
    agent.refresh_from_db()
    assert not agent.is_active
    assert Customer.objects.filter(sealed_at__isnull=False).count() == 4
    _step(browser_page, "contained")

    # What the notices must say, then a decision on each.
    page.locator("#facts summary").click()
    facts = page.locator("[data-facts-form]")
    facts.get_by_label("Likely consequences").fill("Phishing using the names seen")
    facts.get_by_label("Measures taken or proposed").fill("Account disabled, records sealed")
    _submit(browser_page, facts.get_by_role("button", name="Save facts"))
    filed_at = (timezone.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    notices = page.locator("details[data-notice]")
    while notices.count():
        notice = notices.first
        notice.locator("summary").click()
        if notice.get_attribute("data-notice") == "uk.34.subjects GB":
            notice.get_by_label("Decision", exact=True).select_option("not_required")
            notice.get_by_label("Reason").fill("The one UK resident is told with the GDPR notice")
            notice.get_by_label("Approved by").select_option(label=approver.username)
        else:
            notice.get_by_label("Sent or filed at").fill(filed_at)
            notice.get_by_label("Reference").fill(
                "REF-" + (notice.get_attribute("data-notice") or "")
            )
        _submit(browser_page, notice.get_by_role("button", name="Record decision"))
        expect(page.get_by_role("status")).to_be_visible()
    assert not incident.obligations.filter(applies=True, status=ObligationStatus.PENDING).exists()
    _step(browser_page, "notified")
    _step(browser_page, "recovered")

    # The review needs the query run again after containment.
    form = page.locator("[data-affected-form]")
    form.get_by_label("A person's account").select_option(label=f"{agent.username} (disabled)")
    _submit(browser_page, form.get_by_role("button", name="Compute affected customers"))
    review = page.locator("[data-review-form]")
    review.get_by_label("Root cause").fill("Password reused on a breached site")
    review.get_by_label("Measures taken").fill("Password screening at sign-in")
    review.get_by_label("Lessons learnt").fill("Bulk access alerts need a 15-minute response")
    review.get_by_label("Follow-up action").first.fill("Add the screening")
    review.get_by_label("Owner").first.select_option(label=approver.username)
    review.get_by_label("Due").first.fill(timezone.localdate().isoformat())
    _submit(browser_page, review.get_by_role("button", name="Save review"))
    expect(page.locator("#review")).to_contain_text("Password reused on a breached site")
    _step(browser_page, "closed")

    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    expect(page.locator("#timeline")).to_contain_text("Post-incident review written")
    _fits(browser_page)
    assert browser_page.problems() == []
