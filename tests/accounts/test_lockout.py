"""Wrong sign-in input: one answer for unknown accounts, codes used once, lockout, throttle."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from accounts.forms import GENERIC_SIGN_IN_ERROR
from accounts.models import AuthenticatorDevice, User
from accounts.services.users import user_unlock
from audit.models import AuditEvent
from ccplatform.errors import ServiceError
from tests.personas import (
    LOGIN,
    PASSWORD,
    SECURITY,
    VERIFY,
    WRONG_PASSWORD,
    as_caller,
    assert_event,
    current_code,
    password_step,
    secrets_kept_out_of_the_audit_log,
    wrong_code,
)

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db


def _reset_otp_throttle(user: User) -> None:
    # django-otp delays a device after each wrong code (1 s, then 2 s, 4 s ...). Tests that
    # send codes in quick succession clear that delay in the database instead of sleeping,
    # so each code is really checked (a throttled attempt would count as a failure too).
    AuthenticatorDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=None, throttling_failure_count=0
    )


def _wrong_code_at_verify(client: Client, user: User) -> TestResponse:
    _reset_otp_throttle(user)
    return client.post(VERIFY, {"code": wrong_code(user)})


def _fail_mixed(user: User, failures: int) -> Client:
    """`failures` failed steps: wrong passwords, then wrong codes after the right password.

    Returns the client left half-way (password accepted, code still missing).
    """
    passwords = failures // 2
    for _ in range(passwords):
        response = password_step(Client(), user, WRONG_PASSWORD)
        assert GENERIC_SIGN_IN_ERROR in response.content.decode()
    client = Client()
    assert password_step(client, user)["Location"] == VERIFY
    for _ in range(failures - passwords):
        response = _wrong_code_at_verify(client, user)
        assert GENERIC_SIGN_IN_ERROR in response.content.decode()
    return client


def _without_csrf_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)


@pytest.fixture(autouse=True)
def secrets_never_audited(db: None) -> Iterator[list[str]]:
    """Passwords and codes a test typed; none of them may end up in an audit row."""
    yield from secrets_kept_out_of_the_audit_log(PASSWORD, WRONG_PASSWORD)


# --- no account enumeration ------------------------------------------------------------------


def test_unknown_username_and_wrong_password_get_the_same_answer(agent: User) -> None:
    wrong = password_step(Client(), agent, WRONG_PASSWORD)
    unknown = Client().post(LOGIN, {"username": "nobody.here", "password": WRONG_PASSWORD})

    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC_SIGN_IN_ERROR in wrong.content.decode()
    # Only the typed name (echoed back into its own field) and the CSRF token may differ.
    assert _without_csrf_token(wrong.content.decode()).replace(
        f'value="{agent.username}"', 'value="NAME"'
    ) == _without_csrf_token(unknown.content.decode()).replace(
        'value="nobody.here"', 'value="NAME"'
    )


def test_wrong_password_is_audited_against_the_account(agent: User) -> None:
    password_step(Client(), agent, WRONG_PASSWORD)

    failed = AuditEvent.objects.get(action="auth.password_failed")
    assert_event(failed, actor=f"user:{agent.pk}", target=agent, outcome="denied")
    assert failed.details == {"failure": "invalid", "consecutive_failures": 1}


def test_unknown_username_is_audited_without_the_typed_name(agent: User) -> None:
    Client().post(LOGIN, {"username": "nobody.here", "password": WRONG_PASSWORD})

    failed = AuditEvent.objects.get(action="auth.password_failed")
    assert (failed.actor_kind, failed.actor_id) == ("system", "sign-in")
    assert (failed.target_type, failed.target_id) == ("accounts.user", "unknown")
    assert failed.outcome == "denied"
    recorded = json.dumps(list(AuditEvent.objects.filter(pk=failed.pk).values_list()), default=str)
    assert "nobody.here" not in recorded


# --- a code is accepted once ------------------------------------------------------------------


def test_the_same_authenticator_code_in_a_second_sign_in_is_refused_as_a_replay(
    agent: User, secrets_never_audited: list[str]
) -> None:
    # Two sign-ins within one 30 s step. The check is also safe under concurrency: the second
    # factor is verified with the user and device rows locked (select_for_update), so a
    # parallel request waits and then sees the step already used.
    code = current_code(agent)
    secrets_never_audited.append(code)
    first, second = Client(), Client()
    password_step(first, agent)
    assert first.post(VERIFY, {"code": code}).status_code == 302

    password_step(second, agent)
    replayed = second.post(VERIFY, {"code": code})

    assert replayed.status_code == 200
    assert GENERIC_SIGN_IN_ERROR in replayed.content.decode()
    assert second.get(SECURITY).status_code == 302
    event = AuditEvent.objects.get(action="auth.otp_replayed")
    assert_event(event, actor=f"user:{agent.pk}", target=agent, outcome="denied")
    assert event.details["failure"] == "replayed"
    agent.refresh_from_db()
    assert agent.failed_sign_in_count == 1


# --- lockout --------------------------------------------------------------------------------


def test_ten_failures_mixing_passwords_and_codes_lock_the_account(agent: User) -> None:
    client = _fail_mixed(agent, 9)
    agent.refresh_from_db()
    assert agent.failed_sign_in_count == 9
    assert not agent.is_locked()

    _wrong_code_at_verify(client, agent)

    agent.refresh_from_db()
    assert agent.is_locked()
    assert agent.locked_until is not None
    minutes = (agent.locked_until - timezone.now()).total_seconds() / 60
    assert settings.LOCKOUT_MINUTES - 1 < minutes <= settings.LOCKOUT_MINUTES
    locked = AuditEvent.objects.get(action="user.locked")
    assert_event(locked, actor="system:sign-in", target=agent)
    assert locked.details == {"minutes": 30, "threshold": 10}
    failures = AuditEvent.objects.filter(
        action__in=["auth.password_failed", "auth.otp_failed"], target_id=str(agent.pk)
    )
    assert failures.count() == 10
    assert set(failures.values_list("outcome", flat=True)) == {"denied"}


def test_a_locked_account_refuses_the_right_code_and_the_right_password_alike(
    agent: User,
) -> None:
    half_way = _fail_mixed(agent, 10)
    agent.refresh_from_db()
    assert agent.is_locked()

    _reset_otp_throttle(agent)
    right_code = half_way.post(VERIFY, {"code": current_code(agent)})
    right_password = password_step(Client(), agent)
    wrong_password = password_step(Client(), agent, WRONG_PASSWORD)

    assert right_code.status_code == 200
    assert GENERIC_SIGN_IN_ERROR in right_code.content.decode()
    assert half_way.get(SECURITY).status_code == 302
    assert right_password.status_code == wrong_password.status_code == 200
    assert _without_csrf_token(right_password.content.decode()) == _without_csrf_token(
        wrong_password.content.decode()
    )
    refusals = AuditEvent.objects.filter(
        target_id=str(agent.pk), details__failure="locked"
    ).order_by("id")
    assert [(event.action, event.outcome) for event in refusals] == [
        ("auth.otp_failed", "denied"),
        ("auth.password_failed", "denied"),
        ("auth.password_failed", "denied"),
    ]


def test_sign_in_works_again_once_the_lock_has_run_out(agent: User) -> None:
    _fail_mixed(agent, 10)
    # Thirty minutes pass: move the end of the lock into the past instead of waiting.
    User.objects.filter(pk=agent.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    _reset_otp_throttle(agent)
    client = Client()

    assert password_step(client, agent)["Location"] == VERIFY
    response = client.post(VERIFY, {"code": current_code(agent)})

    assert response.status_code == 302
    assert client.get(SECURITY).status_code == 200
    assert AuditEvent.objects.filter(action="auth.signed_in", target_id=str(agent.pk)).exists()


def test_a_successful_sign_in_resets_the_failure_count(agent: User) -> None:
    half_way = _fail_mixed(agent, 9)
    _reset_otp_throttle(agent)
    assert half_way.post(VERIFY, {"code": current_code(agent)}).status_code == 302
    agent.refresh_from_db()
    assert agent.failed_sign_in_count == 0

    _fail_mixed(agent, 9)

    agent.refresh_from_db()
    assert agent.failed_sign_in_count == 9
    assert not agent.is_locked()
    assert not AuditEvent.objects.filter(action="user.locked").exists()


def test_a_security_admin_can_unlock_with_a_reason(agent: User, security_admin: User) -> None:
    for _ in range(10):
        password_step(Client(), agent, WRONG_PASSWORD)
    agent.refresh_from_db()
    assert agent.is_locked()

    user_unlock(caller=as_caller(security_admin), user=agent, reason="Identity checked by phone")

    agent.refresh_from_db()
    assert not agent.is_locked()
    assert agent.failed_sign_in_count == 0
    unlocked = AuditEvent.objects.get(action="user.unlocked")
    assert_event(unlocked, actor=f"user:{security_admin.pk}", target=agent)
    assert unlocked.reason == "Identity checked by phone"
    assert password_step(Client(), agent)["Location"] == VERIFY


def test_unlocking_without_a_reason_is_refused_and_changes_nothing(
    agent: User, security_admin: User
) -> None:
    locked_until = timezone.now() + timedelta(minutes=30)
    User.objects.filter(pk=agent.pk).update(locked_until=locked_until)

    with pytest.raises(ServiceError) as refused:
        user_unlock(caller=as_caller(security_admin), user=agent, reason="   ")

    assert refused.value.fields == {"reason": ["This field is required."]}
    agent.refresh_from_db()
    assert agent.locked_until == locked_until
    assert not AuditEvent.objects.filter(action="user.unlocked").exists()


# --- per-address throttle -----------------------------------------------------------------


@override_settings(SIGNIN_IP_LIMIT=3)
def test_the_fourth_attempt_from_one_address_gets_429_with_retry_after(agent: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert password_step(client, agent, WRONG_PASSWORD).status_code == 200

    # Even the right password waits: the throttle is in front of the account check.
    throttled = password_step(client, agent)

    assert throttled.status_code == 429
    retry_after = throttled["Retry-After"]
    assert retry_after.isdigit()
    assert 0 < int(retry_after) <= settings.SIGNIN_IP_WINDOW_SECONDS
    agent.refresh_from_db()
    assert agent.failed_sign_in_count == 3  # the throttled attempt reached no account


@override_settings(SIGNIN_IP_LIMIT=3)
def test_the_throttle_of_one_address_leaves_other_addresses_alone(agent: User) -> None:
    for _ in range(4):
        password_step(Client(REMOTE_ADDR="203.0.113.7"), agent, WRONG_PASSWORD)

    other = Client(REMOTE_ADDR="198.51.100.20")
    response = password_step(other, agent)

    assert response.status_code == 302
    assert response["Location"] == VERIFY


@override_settings(SIGNIN_IP_LIMIT=3, TRUSTED_PROXY_COUNT=0)
def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(agent: User) -> None:
    for n in range(3):
        client = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        password_step(client, agent, WRONG_PASSWORD)

    forged = Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert password_step(forged, agent).status_code == 429


@override_settings(SIGNIN_IP_LIMIT=3)
def test_code_attempts_count_against_the_address_too(agent: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert password_step(client, agent)["Location"] == VERIFY
    for _ in range(2):
        _wrong_code_at_verify(client, agent)

    _reset_otp_throttle(agent)
    throttled = client.post(VERIFY, {"code": current_code(agent)})

    assert throttled.status_code == 429
    assert throttled["Retry-After"].isdigit()
    assert client.get(SECURITY).status_code == 302
