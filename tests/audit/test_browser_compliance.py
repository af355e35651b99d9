"""The compliance pages in a real browser: a compliance officer signs in with a second factor,
searches the log by actor, opens "who accessed this customer", acknowledges and closes an
alert with a note, and verifies the chains, under the production CSP at 1280x800.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, expect

from accounts.models import User
from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Severity, VerificationRun
from audit.monitoring.runner import MONITORING
from audit.search import CUSTOMER_TYPE
from audit.services import AuditTarget
from audit.services.alerts import Finding, alert_raise
from ccplatform.context import Actor
from tests.actions import record
from tests.browser import BrowserPage, browser_page_fixture  # noqa: F401 - registers the fixture
from tests.personas import PASSWORD, current_code

# A fixed place outside the repository, to look at after a run.
SCREENSHOT = "/tmp/audit-search.png"
CUSTOMER = uuid.UUID("5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _submit(browser_page: BrowserPage, button: Locator) -> None:
    """Click and wait for the next page; a server error fails the test here, not later."""
    with browser_page.page.expect_navigation():
        button.click()
    assert browser_page.server_errors() == []


def _assert_fits(browser_page: BrowserPage) -> None:
    """No sideways scrolling at 1280 px: everything fits the width of the window."""
    overflow = browser_page.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{browser_page.page.url} is {overflow}px too wide"


def _sign_in(browser_page: BrowserPage, user: User) -> None:
    page = browser_page.page
    page.goto(browser_page.url("/accounts/login/"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    _submit(browser_page, page.get_by_role("button", name="Continue"))
    page.get_by_role("textbox", name="Code", exact=True).fill(current_code(user))
    _submit(browser_page, page.get_by_role("button", name="Sign in"))
    expect(page.locator("header .who")).to_contain_text(user.username)


def _history(agent: User, supervisor: User) -> Alert:
    """What the officer investigates: two people's reads of one customer, and an alert."""
    about = AuditTarget(CUSTOMER_TYPE, str(CUSTOMER))
    for action in ("customer.viewed", "customer.revealed"):
        record(actor=Actor.user(agent.pk), action=action, target=about)
    record(actor=Actor.user(supervisor.pk), action="customer.viewed", target=about)
    record(actor=Actor.system("nightly"), action="platform.tested")
    now = timezone.now()
    alert, _created = alert_raise(
        Finding(
            rule=AlertRule.BULK_ACCESS,
            severity=Severity.HIGH,
            subject=f"user:{agent.pk}",
            summary="62 customer records opened in 10 minutes",
            event_count=62,
            first_seen=now,
            last_seen=now,
            details={},
        ),
        caller=MONITORING,
    )
    return alert


def test_compliance_officer_investigates_an_agent_and_handles_the_alert(
    browser_page: BrowserPage, compliance_officer: User, agent: User, supervisor: User
) -> None:
    alert = _history(agent, supervisor)
    page = browser_page.page
    _sign_in(browser_page, compliance_officer)

    # The start page links the audit log.
    _submit(browser_page, page.get_by_role("link", name=re.compile("^Audit log")))
    expect(page.get_by_role("heading", name="Audit log", exact=True)).to_be_visible()
    assert browser_page.status_of("/static/audit/audit.css") == [200]

    # Search by actor (a username): only the agent's two events.
    page.get_by_label("Actor").fill(agent.username)
    _submit(browser_page, page.get_by_role("button", name="Search"))
    rows = page.locator("table.events tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("customer.revealed")
    expect(rows.first).to_contain_text(agent.username)
    expect(page.get_by_role("link", name="CSV")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)
    _assert_fits(browser_page)

    # Who accessed this customer: the agent and the supervisor.
    _submit(browser_page, rows.first.get_by_role("link", name=f"customer {CUSTOMER}"))
    expect(page.get_by_role("heading", name="Who accessed this customer")).to_be_visible()
    summary = page.locator("table.summary tbody tr")
    expect(summary).to_have_count(2)
    expect(page.locator("table.summary")).to_contain_text(agent.username)
    expect(page.locator("table.summary")).to_contain_text(supervisor.username)
    expect(page.locator("table.events tbody tr")).to_have_count(3)
    _assert_fits(browser_page)

    # The alert queue: acknowledge, then close with a note.
    _submit(browser_page, page.locator("header nav").get_by_role("link", name="Alerts"))
    item = page.locator(f"#alert-{alert.pk}")
    expect(item).to_contain_text("Bulk record access")
    expect(item.get_by_role("link", name=agent.username)).to_be_visible()
    _submit(browser_page, item.get_by_role("button", name="Acknowledge"))
    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged")
    item = page.locator(f"#alert-{alert.pk}")
    expect(item).to_contain_text("Acknowledged by")
    expect(item.get_by_role("button", name="Acknowledge")).to_have_count(0)
    item.get_by_label("Closing note").fill("Month-end reconciliation, approved by the team lead.")
    _submit(browser_page, item.get_by_role("button", name="Close"))
    expect(page.get_by_role("status")).to_contain_text("Alert closed")
    expect(page.locator(f"#alert-{alert.pk}")).to_have_count(0)
    _submit(browser_page, page.get_by_role("link", name="Closed"))
    expect(page.locator(f"#alert-{alert.pk}")).to_contain_text("Month-end reconciliation")
    _assert_fits(browser_page)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CLOSED

    # Chain status: verify now, and the log is intact.
    _submit(browser_page, page.locator("header nav").get_by_role("link", name="Chain status"))
    expect(page.get_by_text("The chains have not been verified yet.")).to_be_visible()
    _submit(browser_page, page.get_by_role("button", name="Verify now"))
    expect(page.get_by_test_id("verdict")).to_contain_text("Intact")
    expect(page.get_by_role("status")).to_contain_text("Verified:")
    _assert_fits(browser_page)
    assert VerificationRun.objects.get().trigger == "page"

    # Every page the officer saw is in the log, and nothing went wrong in the browser.
    looked = AuditEvent.objects.filter(actor_id=str(compliance_officer.pk))
    assert {"audit.searched", "alert.listed", "alert.acknowledged", "alert.closed"} <= set(
        looked.values_list("action", flat=True)
    )
    assert browser_page.problems() == []
    assert browser_page.server_errors() == []
