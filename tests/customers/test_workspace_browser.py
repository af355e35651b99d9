"""The agent workspace in a real browser: sign in, search by phone, open the masked record,
reveal the phone with a reason (in place, by keyboard), add a note holding a card number,
and never see a full card number on any page, under the production CSP.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, expect

from accounts.models import Team, User
from audit.models import AuditEvent
from customers.models import Customer, Note
from customers.services.records import customer_create
from tests.browser import BrowserPage, browser_page_fixture  # noqa: F401 - registers the fixture
from tests.personas import PASSWORD, SETUP, current_code

# A fixed place outside the repository, to look at after a run.
SCREENSHOT = "/tmp/workspace.png"
CARD_FORMS = ("4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111")
NOTE = "Caller read out 4111 1111 1111 1111 exp 12/27 to pay the March invoice."

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _assert_no_card_number(browser_page: BrowserPage) -> None:
    html = browser_page.page.content()
    for card in CARD_FORMS:
        assert card not in html, f"a full card number is on {browser_page.page.url}"


def _submit(browser_page: BrowserPage, button: Locator) -> None:
    """Click and wait for the next page; a server error or a card number on it fails here."""
    with browser_page.page.expect_navigation():
        button.click()
    assert browser_page.server_errors() == []
    _assert_no_card_number(browser_page)


def _assert_fits(browser_page: BrowserPage) -> None:
    """No sideways scrolling: everything fits the width of the window."""
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


def test_agent_searches_reveals_and_notes_without_any_page_showing_a_card_number(
    browser_page: BrowserPage, agent: User, team_a: Team
) -> None:
    customer = customer_create(
        caller=SETUP,
        team_id=team_a.pk,
        values={
            "name": "Maria Lopez",
            "phones": ["+1 415 555 0142"],
            "emails": ["maria.lopez@example.com"],
            "card_last4": "1111",
        },
    )
    page = browser_page.page
    _sign_in(browser_page, agent)

    # The start page links the workspace.
    _submit(browser_page, page.get_by_role("link", name=re.compile("Agent workspace")))
    expect(page.get_by_role("heading", name="Find a customer")).to_be_visible()
    assert browser_page.status_of("/static/django_htmx/htmx-2.min.js") == []  # not needed here

    # Search by phone: a POST, so the number never appears in the address bar.
    expect(page.get_by_role("radio", name="Phone number")).to_be_checked()
    value_box = page.get_by_label("Phone, email or account number")
    expect(value_box).to_be_focused()
    value_box.fill("(415) 555-0142")
    _submit(browser_page, page.get_by_role("button", name="Search"))
    assert page.url == browser_page.url("/workspace/")
    expect(page.get_by_role("heading", name="1 customer found")).to_be_visible()
    expect(page.locator(".results")).to_contain_text("•••• •• 0142")
    expect(page.locator("body")).not_to_contain_text("Maria")
    _assert_no_card_number(browser_page)
    _assert_fits(browser_page)

    # The masked record.
    _submit(browser_page, page.get_by_role("link", name="M••• L•••"))
    assert page.url == browser_page.url(f"/workspace/customers/{customer.pk}/")
    phone_row = page.locator("#field-phones")
    expect(phone_row).to_contain_text("•••• •• 0142")
    expect(page.locator("#field-card_last4")).to_contain_text("•••• 1111")
    expect(page.locator("body")).not_to_contain_text("+14155550142")
    _assert_no_card_number(browser_page)
    _assert_fits(browser_page)

    # Reveal by keyboard: open the panel, type the reason, press Enter. htmx swaps the row in
    # place (no navigation) and moves focus to the revealed value.
    reveal = phone_row.locator("summary")
    expect(reveal).to_have_text(re.compile(r"^Reveal phone numbers"))
    reveal.focus()
    page.keyboard.press("Enter")
    reason_box = phone_row.get_by_label("Why do you need to see it?")
    expect(reason_box).to_be_focused()
    page.keyboard.type("Verifying the caller's identity")
    page.keyboard.press("Enter")
    revealed = page.locator("#field-phones.is-revealed")
    expect(revealed).to_contain_text("+14155550142")
    expect(revealed.get_by_role("list")).to_be_focused()
    assert page.url == browser_page.url(f"/workspace/customers/{customer.pk}/")
    assert browser_page.status_of("/static/django_htmx/htmx-2.min.js") == [200]
    assert browser_page.status_of("/reveal/") == [200]
    _assert_no_card_number(browser_page)

    # A note with a card number: saved masked, shown masked, expiry dropped.
    page.get_by_label("Note").fill(NOTE)
    _submit(browser_page, page.get_by_role("button", name="Add note"))
    expect(page).to_have_url(re.compile(rf"/workspace/customers/{customer.pk}/#history$"))
    note_text = page.locator(".note-body").first.inner_text()
    assert "•••• 1111" in note_text
    assert "12/27" not in note_text
    assert not any(card in note_text for card in CARD_FORMS)
    expect(page.get_by_role("status").filter(has_text="masked")).to_be_visible()
    _assert_no_card_number(browser_page)
    _assert_fits(browser_page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # A laptop screen shows the same page without sideways scrolling.
    page.set_viewport_size({"width": 1440, "height": 900})
    _assert_fits(browser_page)
    expect(page.get_by_role("button", name="Add note")).to_be_visible()

    stored = Note.objects.get(customer=customer)
    assert not any(card in stored.body_enc for card in CARD_FORMS)
    actions = set(
        AuditEvent.objects.filter(actor_id=str(agent.pk)).values_list("action", flat=True)
    )
    assert {
        "customer.searched",
        "customer.viewed",
        "customer.revealed",
        "customer.note_added",
        "customer.card_data_redacted",
    } <= actions
    reveal_event = AuditEvent.objects.get(action="customer.revealed")
    assert (reveal_event.reason, reveal_event.details) == (
        "Verifying the caller's identity",
        {"fields": ["phones"]},
    )
    # Every request went to this server: no third-party script, style or font.
    assert all(url.startswith(browser_page.base_url) for url, _ in browser_page.responses)
    assert browser_page.problems() == []
    assert Customer.objects.count() == 1
