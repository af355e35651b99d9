"""Browser sign-in: the password step, the second factor, first-time enrolment, recovery codes.

Wrong input (unknown accounts, replayed codes, lockout) is in test_lockout.py.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.forms import GENERIC_SIGN_IN_ERROR
from accounts.models import AuthenticatorDevice, RecoveryCode, Role, User, UserSession
from accounts.models.security import hash_recovery_code
from accounts.services.mfa import mfa_enrolment_confirm, mfa_recovery_codes_regenerate
from accounts.services.users import user_create
from audit.models import AuditEvent
from ccplatform.errors import ServiceError
from tests.personas import (
    LOGIN,
    PASSWORD,
    SECURITY,
    SETUP,
    VERIFY,
    WRONG_PASSWORD,
    as_caller,
    assert_event,
    current_code,
    password_step,
    secrets_kept_out_of_the_audit_log,
    session_key,
    wrong_code,
    wrong_code_for_key,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

ENROL = "/accounts/enrol/"


# --- helpers -------------------------------------------------------------------------------


def _key_of(secret: str) -> bytes:
    """The key behind a secret shown for typing in by hand (base32 without padding)."""
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def _code_from_secret(secret: str) -> str:
    """What an authenticator app shows now for a key typed in by hand."""
    return f"{TOTP(_key_of(secret), step=30, t0=0, digits=6).token():06d}"


def _database_text() -> str:
    """Every row of every table (session data decoded), as one text to search for secrets."""
    parts: list[str] = []
    for model in apps.get_models():
        parts.extend(repr(row) for row in model._default_manager.values_list())
    for session in UserSession.objects.all():
        parts.append(repr(session.get_decoded()))
    return "\n".join(parts)


def _events_for(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


@pytest.fixture(autouse=True)
def secrets_never_audited(db: None) -> Iterator[list[str]]:
    """Passwords and codes a test typed; none of them may end up in an audit row."""
    yield from secrets_kept_out_of_the_audit_log(PASSWORD, WRONG_PASSWORD)


def _new_person(username: str = "new.nina") -> User:
    """A person with a password who has not set up an authenticator yet."""
    return user_create(
        caller=SETUP,
        username=username,
        role=Role.AGENT,
        email=f"{username}@staff.example",
        password=PASSWORD,
    )


# --- password step, then the code -----------------------------------------------------------


def test_right_password_leads_to_verify_with_a_new_session_id_and_nobody_signed_in(
    agent: User,
) -> None:
    client = Client()
    visitor = client.session  # the session a visitor has before signing in
    visitor["seen"] = True
    visitor.save()
    before = session_key(client)

    response = password_step(client, agent)

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert session_key(client) != before
    assert not UserSession.objects.filter(session_key=before).exists()
    assert not response.wsgi_request.user.is_authenticated
    home = client.get("/")
    assert not home.wsgi_request.user.is_authenticated
    assert client.get(SECURITY).status_code == 302
    accepted = AuditEvent.objects.get(action="auth.password_accepted")
    assert_event(accepted, actor=f"user:{agent.pk}", target=agent)


def test_right_code_signs_in_with_another_newsession_key(agent: User) -> None:
    client = Client()
    password_step(client, agent)
    after_password = session_key(client)

    response = client.post(VERIFY, {"code": current_code(agent)})

    assert response.status_code == 302
    assert response["Location"] == settings.LOGIN_REDIRECT_URL
    assert session_key(client) != after_password
    assert not UserSession.objects.filter(session_key=after_password).exists()
    page = client.get(SECURITY)
    assert page.status_code == 200
    assert page.wsgi_request.user == agent
    signed_in = AuditEvent.objects.get(action="auth.signed_in")
    assert_event(signed_in, actor=f"user:{agent.pk}", target=agent)
    assert signed_in.details == {"factor": "totp"}
    agent.refresh_from_db()
    assert agent.failed_sign_in_count == 0


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/accounts/security/", "/accounts/security/"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("https://testserver.evil.example/", "/"),
    ],
)
def test_after_both_steps_the_user_lands_on_next_only_when_it_is_a_same_host_path(
    agent: User, next_url: str, landing: str
) -> None:
    client = Client()
    password_step(client, agent, query="?" + urlencode({"next": next_url}))

    response = client.post(VERIFY, {"code": current_code(agent)})

    assert response.status_code == 302
    assert response["Location"] == landing


def test_the_admin_sends_staff_through_both_steps_and_back_to_the_admin(
    security_admin: User,
) -> None:
    client = Client()
    to_sign_in = client.get("/admin/", follow=True).redirect_chain[-1][0]
    assert to_sign_in == f"{LOGIN}?{urlencode({'next': '/admin/'})}"

    step = client.post(to_sign_in, {"username": security_admin.username, "password": PASSWORD})
    assert step["Location"] == VERIFY
    response = client.post(VERIFY, {"code": current_code(security_admin)})

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_wrong_code_is_refused_with_the_generic_message_counted_and_audited(
    agent: User, secrets_never_audited: list[str]
) -> None:
    client = Client()
    password_step(client, agent)
    wrong = wrong_code(agent)
    secrets_never_audited.append(wrong)

    response = client.post(VERIFY, {"code": wrong})

    assert response.status_code == 200
    assert GENERIC_SIGN_IN_ERROR in response.content.decode()
    assert not client.get(SECURITY).wsgi_request.user.is_authenticated
    agent.refresh_from_db()
    assert agent.failed_sign_in_count == 1
    failed = AuditEvent.objects.get(action="auth.otp_failed")
    assert_event(failed, actor=f"user:{agent.pk}", target=agent, outcome="denied")
    assert failed.details == {"failure": "invalid", "consecutive_failures": 1}


def test_verify_page_without_a_password_step_sends_back_to_sign_in() -> None:
    response = Client().get(VERIFY)
    assert response.status_code == 302
    assert response["Location"] == LOGIN


# --- first sign-in: enrolment --------------------------------------------------------------


def _secret_on(page: TestResponse) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.content.decode())
    assert match is not None, "the enrolment page shows no secret"
    return match.group(1)


def _recovery_codes_on(page: TestResponse) -> list[str]:
    block = re.search(
        r'data-testid="recovery-codes">(.*?)</ol>', page.content.decode(), flags=re.DOTALL
    )
    assert block is not None, "the page lists no recovery codes"
    return re.findall(r"<code>([^<]+)</code>", block.group(1))


def _at_enrolment() -> tuple[User, Client, str]:
    """A new person past the password step: them, their browser, and the secret shown to them."""
    user = _new_person()
    client = Client()
    password_step(client, user)
    return user, client, _secret_on(client.get(ENROL))


def test_first_sign_in_shows_an_inline_qr_code_and_the_secret_of_a_new_device() -> None:
    user = _new_person()
    client = Client()

    response = password_step(client, user)
    assert response.status_code == 302
    assert response["Location"] == ENROL
    page = client.get(ENROL)

    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<figure class="qr"[^>]*>\s*<svg', html)
    device = AuthenticatorDevice.objects.get(user=user, confirmed=False)
    assert _key_of(_secret_on(page)) == device.bin_key
    started = AuditEvent.objects.get(action="mfa.enrolment_started")
    assert_event(started, actor=f"user:{user.pk}", target=user)
    assert not page.wsgi_request.user.is_authenticated


def test_wrong_enrolment_code_shows_an_error_and_counts_as_a_failure(
    secrets_never_audited: list[str],
) -> None:
    user, client, secret = _at_enrolment()
    wrong = wrong_code_for_key(_key_of(secret))
    secrets_never_audited.extend([secret, wrong])

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 200
    assert "That code did not match" in response.content.decode()
    assert AuthenticatorDevice.objects.get(user=user).confirmed is False
    user.refresh_from_db()
    assert user.failed_sign_in_count == 1
    failed = AuditEvent.objects.get(action="auth.otp_failed")
    assert_event(failed, actor=f"user:{user.pk}", target=user, outcome="denied")
    assert not RecoveryCode.objects.exists()


def test_an_account_locked_during_enrolment_confirms_nothing_even_with_the_right_code(
    secrets_never_audited: list[str],
) -> None:
    # The lock is one rule (accounts.permissions.can_sign_in) that every sign-in step asks;
    # before, confirming a new authenticator did not, and signed a locked account in.
    user, client, secret = _at_enrolment()
    secrets_never_audited.append(secret)
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(minutes=30))

    response = client.post(ENROL, {"code": _code_from_secret(secret)})

    assert response.status_code == 200
    assert "That code did not match" in response.content.decode()
    assert AuthenticatorDevice.objects.get(user=user).confirmed is False
    assert not RecoveryCode.objects.exists()
    assert client.get(SECURITY).status_code == 302  # not signed in
    refused = AuditEvent.objects.get(action="auth.otp_failed")
    assert_event(refused, actor=f"user:{user.pk}", target=user, outcome="denied")
    assert refused.details["failure"] == "locked"
    assert not AuditEvent.objects.filter(action__in=["mfa.enrolled", "auth.signed_in"]).exists()
    with pytest.raises(ServiceError, match="locked"):
        mfa_enrolment_confirm(user=user, code=_code_from_secret(secret))


def test_right_enrolment_code_confirms_the_device_signs_in_and_shows_ten_hashed_codes(
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    secrets_never_audited: list[str],
) -> None:
    user, client, secret = _at_enrolment()
    secrets_never_audited.append(secret)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ENROL, {"code": _code_from_secret(secret)})

    assert response.status_code == 200
    codes = _recovery_codes_on(response)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert AuthenticatorDevice.objects.get(user=user).confirmed is True
    assert client.get(SECURITY).status_code == 200
    stored = set(RecoveryCode.objects.filter(device__user=user).values_list("code_hash", flat=True))
    assert stored == {hash_recovery_code(code) for code in codes}
    assert not stored & set(codes)
    everything = _database_text()
    for code in codes:
        assert code not in everything
        assert code.replace("-", "") not in everything
    secrets_never_audited.extend(codes)
    enrolled = AuditEvent.objects.get(action="mfa.enrolled")
    assert_event(enrolled, actor=f"user:{user.pk}", target=user)
    assert enrolled.details == {"device": "totp", "recovery_codes": 10}
    assert AuditEvent.objects.filter(action="auth.signed_in", target_id=str(user.pk)).exists()
    assert [mail.to for mail in mailoutbox] == [[user.email]]
    assert "authenticator app was set up" in mailoutbox[0].body


def test_a_person_with_an_authenticator_never_sees_the_enrolment_page(agent: User) -> None:
    client = Client()
    password_step(client, agent)

    response = client.get(ENROL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not AuthenticatorDevice.objects.filter(user=agent, confirmed=False).exists()


# --- recovery codes -------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_fails_the_second_time(
    agent: User,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    secrets_never_audited: list[str],
) -> None:
    codes = mfa_recovery_codes_regenerate(caller=as_caller(agent))
    secrets_never_audited.extend(codes)
    first, second = Client(), Client()

    password_step(first, agent)
    with django_capture_on_commit_callbacks(execute=True):
        used = first.post(VERIFY, {"code": codes[0]})
    password_step(second, agent)
    reused = second.post(VERIFY, {"code": codes[0]})

    assert used.status_code == 302
    assert first.get(SECURITY).status_code == 200
    assert reused.status_code == 200
    assert GENERIC_SIGN_IN_ERROR in reused.content.decode()
    assert second.get(SECURITY).status_code == 302
    sign_in_steps = {"mfa.recovery_code_used", "auth.signed_in", "auth.otp_failed"}
    actions = [action for action in _events_for(agent) if action in sign_in_steps]
    assert actions == ["mfa.recovery_code_used", "auth.signed_in", "auth.otp_failed"]
    used_event = AuditEvent.objects.get(action="mfa.recovery_code_used")
    assert_event(used_event, actor=f"user:{agent.pk}", target=agent)
    assert used_event.details == {"remaining": 9}
    assert AuditEvent.objects.get(action="auth.signed_in").details == {"factor": "recovery_code"}
    assert [mail.to for mail in mailoutbox] == [[agent.email]]
    assert "recovery code was used" in mailoutbox[0].body
    assert codes[0] not in mailoutbox[0].body
