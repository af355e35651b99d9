"""Password rules, changing a password (current password + fresh code), and resetting one."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import pytest
from django.core.mail import EmailMessage
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User, UserSession
from accounts.services.passwords import password_change
from audit.models import AuditEvent
from ccplatform.errors import ServiceError
from tests.personas import (
    LOGIN,
    PASSWORD,
    SECURITY,
    VERIFY,
    as_caller,
    assert_event,
    current_code,
    login_verified,
    password_step,
    secrets_kept_out_of_the_audit_log,
    wrong_code,
)

pytestmark = pytest.mark.django_db

CHANGE = "/accounts/security/password/"
RESET = "/accounts/password-reset/"
NEW_PASSWORD = "a brand new passphrase for the test"

# (new password, a piece of the message that explains why it is refused)
UNACCEPTABLE = [
    pytest.param("fourteen chars", "too short", id="shorter-than-15"),
    pytest.param("1qaz2wsx3edc4rfv", "too common", id="common"),
    pytest.param("agent.ann.agent", "too similar", id="like-the-username"),  # agent.ann
    pytest.param("123456789012345678", "entirely numeric", id="numeric"),
]
TOO_LONG = "x" * 60 + " a very long passphrase " + "y" * 45  # 129 characters


@pytest.fixture(autouse=True)
def secrets_never_audited(db: None) -> Iterator[list[str]]:
    """Passwords and codes a test typed; none of them may end up in an audit row."""
    yield from secrets_kept_out_of_the_audit_log(PASSWORD, NEW_PASSWORD, TOO_LONG)


def _change_form(
    user: User, *, current: str = PASSWORD, new: str = NEW_PASSWORD, code: str | None = None
) -> dict[str, str]:
    return {
        "current_password": current,
        "new_password": new,
        "new_password_again": new,
        "code": current_code(user) if code is None else code,
    }


def _unchanged(user: User) -> bool:
    user.refresh_from_db()
    return (
        user.check_password(PASSWORD)
        and not AuditEvent.objects.filter(action="password.changed").exists()
    )


# --- rules, at the service ---------------------------------------------------------------


@pytest.mark.parametrize(("new", "why"), UNACCEPTABLE)
def test_service_refuses_a_weak_password_with_a_field_error(
    agent: User, new: str, why: str, secrets_never_audited: list[str]
) -> None:
    secrets_never_audited.append(new)
    caller = as_caller(agent)
    with pytest.raises(ServiceError) as refused:
        password_change(
            caller=caller, current_password=PASSWORD, new_password=new, keep_session_key=None
        )

    assert any(why in message for message in refused.value.fields["new_password"])
    assert _unchanged(agent)


def test_service_refuses_a_password_longer_than_128_characters(agent: User) -> None:
    assert len(TOO_LONG) == 129
    caller = as_caller(agent)
    with pytest.raises(ServiceError) as refused:
        password_change(
            caller=caller, current_password=PASSWORD, new_password=TOO_LONG, keep_session_key=None
        )

    assert any("too long" in message for message in refused.value.fields["new_password"])
    assert _unchanged(agent)


def test_a_password_of_exactly_15_and_of_exactly_128_characters_is_accepted(
    agent: User, secrets_never_audited: list[str]
) -> None:
    fifteen = "tulip harbor 7x"
    longest = "q" * 101 + " a long passphrase 123456 z"
    assert (len(fifteen), len(longest)) == (15, 128)
    secrets_never_audited.extend([fifteen, longest])
    caller = as_caller(agent)

    password_change(
        caller=caller, current_password=PASSWORD, new_password=fifteen, keep_session_key=None
    )
    password_change(
        caller=caller, current_password=fifteen, new_password=longest, keep_session_key=None
    )

    agent.refresh_from_db()
    assert agent.check_password(longest)
    assert AuditEvent.objects.filter(action="password.changed").count() == 2


def test_the_last_four_passwords_cannot_be_chosen_again_but_the_fifth_oldest_can(
    agent: User, secrets_never_audited: list[str]
) -> None:
    # The history holds the current password and the three before it.
    chain = [PASSWORD] + [f"history passphrase number {n} of four" for n in range(1, 5)]
    secrets_never_audited.extend(chain)
    caller = as_caller(agent)
    for previous, new in itertools.pairwise(chain):
        password_change(
            caller=caller, current_password=previous, new_password=new, keep_session_key=None
        )
    current = chain[-1]

    for recent in chain[1:]:
        with pytest.raises(ServiceError) as refused:
            password_change(
                caller=caller, current_password=current, new_password=recent, keep_session_key=None
            )
        assert any("last 4" in message for message in refused.value.fields["new_password"])

    password_change(
        caller=caller, current_password=current, new_password=chain[0], keep_session_key=None
    )
    agent.refresh_from_db()
    assert agent.check_password(chain[0])
    assert AuditEvent.objects.filter(action="password.changed").count() == 5


# --- the change page ----------------------------------------------------------------------


@pytest.mark.parametrize(("new", "why"), UNACCEPTABLE)
def test_change_page_answers_400_with_a_field_error_for_a_weak_password(
    client: Client, agent: User, new: str, why: str, secrets_never_audited: list[str]
) -> None:
    secrets_never_audited.append(new)
    login_verified(client, agent)

    response = client.post(CHANGE, _change_form(agent, new=new))

    assert response.status_code == 400
    assert re.search(rf'<p class="field-error">[^<]*{why}', response.content.decode())
    assert _unchanged(agent)


def test_change_page_answers_400_for_a_password_longer_than_128_characters(
    client: Client, agent: User
) -> None:
    login_verified(client, agent)

    response = client.post(CHANGE, _change_form(agent, new=TOO_LONG))

    assert response.status_code == 400
    assert "at most 128 characters" in response.content.decode()
    assert _unchanged(agent)


def test_change_with_a_wrong_current_password_is_refused_and_not_counted(
    client: Client, agent: User, secrets_never_audited: list[str]
) -> None:
    login_verified(client, agent)
    secrets_never_audited.append("this is not my password at all")

    response = client.post(CHANGE, _change_form(agent, current="this is not my password at all"))

    assert response.status_code == 400
    assert "The current password is wrong." in response.content.decode()
    assert _unchanged(agent)
    assert agent.failed_sign_in_count == 0
    assert client.get(SECURITY).status_code == 200  # still signed in
    refused = AuditEvent.objects.get(action="password.change_refused")
    assert (refused.outcome, refused.target_id) == ("failed", str(agent.pk))


def test_change_with_a_wrong_code_is_refused_counted_and_changes_nothing(
    client: Client, agent: User, secrets_never_audited: list[str]
) -> None:
    login_verified(client, agent)
    wrong = wrong_code(agent)
    secrets_never_audited.append(wrong)

    response = client.post(CHANGE, _change_form(agent, code=wrong))

    assert response.status_code == 400
    assert "That code is not valid" in response.content.decode()
    assert _unchanged(agent)
    assert agent.failed_sign_in_count == 1
    failed = AuditEvent.objects.get(action="auth.otp_failed")
    assert_event(failed, actor=f"user:{agent.pk}", target=agent, outcome="denied")


def test_change_with_the_code_already_used_to_sign_in_is_refused_as_a_replay(
    client: Client, agent: User, secrets_never_audited: list[str]
) -> None:
    code = current_code(agent)
    secrets_never_audited.append(code)
    password_step(client, agent)
    assert client.post(VERIFY, {"code": code}).status_code == 302

    response = client.post(CHANGE, _change_form(agent, code=code))

    assert response.status_code == 400
    assert "That code is not valid" in response.content.decode()
    assert _unchanged(agent)
    replayed = AuditEvent.objects.get(action="auth.otp_replayed")
    assert_event(replayed, actor=f"user:{agent.pk}", target=agent, outcome="denied")


def test_a_successful_change_ends_other_sessions_keeps_this_one_and_sends_an_email(
    client: Client,
    agent: User,
    mailoutbox: list[EmailMessage],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    laptop, tablet = login_verified(Client(), agent), login_verified(Client(), agent)
    login_verified(client, agent)
    assert UserSession.objects.filter(user=agent).count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGE, _change_form(agent))

    assert response.status_code == 302
    assert response["Location"] == SECURITY
    assert UserSession.objects.filter(user=agent).count() == 1
    assert client.get(SECURITY).status_code == 200
    assert laptop.get(SECURITY).status_code == 302
    assert tablet.get(SECURITY).status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)
    changed = AuditEvent.objects.get(action="password.changed")
    assert_event(changed, actor=f"user:{agent.pk}", target=agent)
    assert changed.details == {"other_sessions_ended": 2}
    assert [mail.to for mail in mailoutbox] == [[agent.email]]
    assert "password of your ccplatform account was changed" in mailoutbox[0].body
    assert NEW_PASSWORD not in mailoutbox[0].body


# --- reset by email -----------------------------------------------------------------------


def _reset_link(mail: EmailMessage) -> str:
    match = re.search(r"https?://testserver(/accounts/password-reset/\S+/)", str(mail.body))
    assert match is not None, "the email holds no reset link"
    return match.group(1)


def test_a_reset_request_for_a_known_address_sends_a_link_and_is_audited(
    agent: User, mailoutbox: list[EmailMessage]
) -> None:
    response = Client().post(RESET, {"email": agent.email})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert [mail.to for mail in mailoutbox] == [[agent.email]]
    assert _reset_link(mailoutbox[0])
    requested = AuditEvent.objects.get(action="password.reset_requested")
    assert_event(requested, actor=f"user:{agent.pk}", target=agent)


def test_a_reset_request_for_an_unknown_address_looks_the_same_and_records_no_address(
    agent: User, mailoutbox: list[EmailMessage]
) -> None:
    known = Client().post(RESET, {"email": agent.email}, follow=True)
    unknown = Client().post(RESET, {"email": "nobody@nowhere.example"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action="password.reset_requested").count() == 1
    everything = json.dumps(list(AuditEvent.objects.values_list()), default=str)
    assert "nobody@nowhere.example" not in everything


def test_a_completed_reset_signs_nobody_in_and_ends_every_session(
    agent: User, mailoutbox: list[EmailMessage]
) -> None:
    elsewhere = login_verified(Client(), agent)
    client = Client()
    client.post(RESET, {"email": agent.email})
    link = _reset_link(mailoutbox[0])
    form_page = client.get(link)
    assert form_page.status_code == 302  # Django swaps the token for a session marker

    done = client.post(
        form_page["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done["Location"] == "/accounts/password-reset/done/"
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)
    assert client.get(SECURITY)["Location"].startswith(LOGIN)
    assert elsewhere.get(SECURITY)["Location"].startswith(LOGIN)
    assert not UserSession.objects.filter(user=agent).exists()
    completed = AuditEvent.objects.get(action="password.reset_completed")
    assert_event(completed, actor=f"user:{agent.pk}", target=agent)
    assert completed.details == {"sessions_ended": 1}
    assert "This link no longer works" in Client().get(link, follow=True).content.decode()
    # The new password is only the first step: the second factor is still asked for.
    step = password_step(client, agent, NEW_PASSWORD)
    assert step["Location"] == VERIFY
    assert client.get(SECURITY).status_code == 302


def test_a_reset_cannot_bring_back_a_recent_password(
    agent: User, mailoutbox: list[EmailMessage]
) -> None:
    client = Client()
    client.post(RESET, {"email": agent.email})
    form_page = client.get(_reset_link(mailoutbox[0]))

    response = client.post(
        form_page["Location"], {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == 200
    assert "last 4" in response.content.decode()
    assert not AuditEvent.objects.filter(action="password.reset_completed").exists()
