"""First sign-in in a real browser: password, authenticator enrolment, recovery codes, sign-out."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Locator, Page, expect

from accounts.models import Role, User, UserSession
from accounts.services.users import user_create
from audit.models import AuditEvent
from tests.browser import VIEWPORT, BrowserPage, browser_page_fixture  # noqa: F401 - registers the fixture
from tests.personas import SETUP

PASSWORD = "violet kettles hum at noon 1987"
# A fixed place outside the repository, to look at after a run.
ENROL_SCREENSHOT = "/tmp/enrol.png"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _code_for(secret: str) -> str:
    """What an authenticator app shows now for the base32 key the enrolment page displays."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def _submit(browser_page: BrowserPage, button: Locator) -> None:
    """Click and wait for the next page; a server error fails the test here, not later."""
    with browser_page.page.expect_navigation():
        button.click()
    assert browser_page.server_errors() == []


def _sign_in_with_password(browser_page: BrowserPage, username: str) -> None:
    page = browser_page.page
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    _submit(browser_page, page.get_by_role("button", name="Continue"))


def _assert_within_viewport(page: Page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not displayed"
    assert box["x"] >= 0
    assert box["y"] >= 0
    assert box["x"] + box["width"] <= VIEWPORT["width"]
    assert box["y"] + box["height"] <= VIEWPORT["height"]


def test_first_sign_in_enrols_an_authenticator_and_recovery_codes_work(
    browser_page: BrowserPage,
) -> None:
    user = user_create(
        caller=SETUP,
        username="new.nora",
        role=Role.AGENT,
        email="nora@staff.example",
        password=PASSWORD,
    )
    page = browser_page.page

    # Step 1: the password; a person without an authenticator is sent to enrol.
    page.goto(browser_page.url("/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    _assert_within_viewport(page, "form button[type=submit]")
    assert browser_page.status_of("/static/ccplatform/site.css") == [200]
    _sign_in_with_password(browser_page, user.username)

    # Step 2: enrolment. The QR code is an inline SVG; the key is also shown for typing in.
    expect(page).to_have_url(re.compile(r"/accounts/enrol/$"))
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    page.screenshot(path=ENROL_SCREENSHOT, full_page=True)
    page.get_by_role("textbox", name="Code", exact=True).fill(_code_for(secret))
    _submit(browser_page, page.get_by_role("button", name="Confirm and sign in"))

    # The recovery codes, once; then signed in.
    codes_list = page.get_by_test_id("recovery-codes")
    expect(codes_list.locator("li")).to_have_count(10)
    codes = [code.strip() for code in codes_list.locator("li").all_inner_texts()]
    assert len(set(codes)) == 10
    _submit(browser_page, page.get_by_role("link", name=re.compile("continue")))
    expect(page.locator("header .who")).to_contain_text(user.username)

    # The security page lists this very session.
    page.goto(browser_page.url("/accounts/security/"))
    current = page.locator("tr", has=page.locator(".badge", has_text="This session"))
    expect(current).to_have_count(1)
    expect(current).to_contain_text("HeadlessChrome")
    expect(page.get_by_text("10 unused recovery code(s) left.")).to_be_visible()

    # Sign-out ends the server-side session; the page is out of reach again.
    _submit(browser_page, page.locator("header").get_by_role("button", name="Sign out", exact=True))
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert not UserSession.objects.filter(user=user).exists()
    page.goto(browser_page.url("/accounts/security/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Faccounts%2Fsecurity%2F$"))

    # Signing in again within the same 30 s step: the enrolment code would be a replay, so a
    # recovery code is the second factor, which also shows the codes work.
    _sign_in_with_password(browser_page, user.username)
    expect(page).to_have_url(re.compile(r"/accounts/verify/$"))
    page.get_by_role("textbox", name="Code", exact=True).fill(codes[0])
    _submit(browser_page, page.get_by_role("button", name="Sign in"))
    expect(page).to_have_url(re.compile(r"/accounts/security/$"))
    expect(page.locator("header .who")).to_contain_text(user.username)
    expect(page.get_by_text("9 unused recovery code(s) left.")).to_be_visible()

    signed_in = AuditEvent.objects.filter(action="auth.signed_in", actor_id=str(user.pk))
    assert [event.details["factor"] for event in signed_in.order_by("id")] == [
        "totp",
        "recovery_code",
    ]
    assert User.objects.get(pk=user.pk).failed_sign_in_count == 0
    assert browser_page.problems() == []
