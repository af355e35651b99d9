"""Sessions: sign-out, idle and absolute timeouts, the session list, and ending access at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from accounts.middleware import SIGNED_IN_AT
from accounts.models import Role, ServiceAPIKey, User, UserSession
from accounts.services.sessions import session_public_id
from accounts.services.users import user_disable, user_set_role
from audit.models import AuditEvent
from tests.personas import (
    LOGIN,
    SECURITY,
    Integrator,
    as_caller,
    assert_event,
    login_verified,
    session_key,
)

pytestmark = pytest.mark.django_db

LOGOUT = "/accounts/logout/"
END_SESSION = "/accounts/security/sessions/end/"
KEEP_ALIVE = "/accounts/session/keep-alive/"
STATUS_API = "/api/v1/status/"


def _signed_in_ago(client: Client, age: timedelta) -> None:
    """Move the client's sign-in `age` into the past, as if that much time had gone by."""
    session = client.session
    session[SIGNED_IN_AT] = (timezone.now() - age).isoformat()
    session.save()


def _sent_to_sign_in(client: Client) -> bool:
    response = client.get(SECURITY)
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def _auth(integrator: Integrator) -> dict[str, str]:
    return {"Authorization": f"Api-Key {integrator.key}"}


def _session_ids_on(page_html: str) -> list[str]:
    return re.findall(r'name="session" value="([0-9a-f]{16})"', page_html)


# --- sign-out -------------------------------------------------------------------------------


def test_sign_out_by_get_is_refused_and_keeps_the_session(agent: User) -> None:
    client = login_verified(Client(), agent)

    response = client.get(LOGOUT)

    assert response.status_code == 405
    assert UserSession.objects.filter(session_key=session_key(client)).exists()
    assert client.get(SECURITY).status_code == 200


def test_sign_out_deletes_the_server_session_and_clears_site_data(agent: User) -> None:
    client = login_verified(Client(), agent)
    key = session_key(client)

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert '"cookies"' in response["Clear-Site-Data"]
    assert '"storage"' in response["Clear-Site-Data"]
    assert not UserSession.objects.filter(session_key=key).exists()
    assert _sent_to_sign_in(client)
    ended = AuditEvent.objects.get(action="session.ended")
    assert_event(ended, actor=f"user:{agent.pk}", target=agent)
    assert ended.details == {"why": "signed_out"}


# --- timeouts -------------------------------------------------------------------------------


def test_production_session_limits_are_15_minutes_idle_and_12_hours_absolute() -> None:
    assert settings.SESSION_COOKIE_AGE == 900
    assert settings.SESSION_ABSOLUTE_SECONDS == 43_200
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_each_request_renews_the_idle_timer(agent: User) -> None:
    client = login_verified(Client(), agent)
    UserSession.objects.filter(user=agent).update(
        expire_date=timezone.now() + timedelta(seconds=30)
    )

    client.get(SECURITY)

    expires = UserSession.objects.get(user=agent).expire_date
    remaining = (expires - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 60 < remaining <= settings.SESSION_COOKIE_AGE


def test_a_session_idle_past_its_expiry_is_anonymous_and_sent_to_sign_in(agent: User) -> None:
    client = login_verified(Client(), agent)
    # Fifteen idle minutes pass: move the expiry into the past instead of waiting.
    UserSession.objects.filter(user=agent).update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(SECURITY)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not response.wsgi_request.user.is_authenticated


def test_a_session_older_than_12_hours_is_ended_even_when_active(agent: User) -> None:
    client = login_verified(Client(), agent)
    key = session_key(client)
    _signed_in_ago(client, timedelta(hours=13))

    response = client.get(SECURITY)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not UserSession.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=agent).exists()
    ended = AuditEvent.objects.get(action="session.ended")
    assert (ended.actor_id, ended.target_id) == (str(agent.pk), str(agent.pk))
    assert ended.details == {"why": "absolute_timeout"}


def test_a_session_just_under_12_hours_old_still_works(agent: User) -> None:
    client = login_verified(Client(), agent)
    _signed_in_ago(client, timedelta(hours=11, minutes=59))

    assert client.get(SECURITY).status_code == 200
    assert not AuditEvent.objects.filter(action="session.ended").exists()


class _Clock:
    """Takes over `timezone.now()`: time then moves only when the test moves it forward."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, by: timedelta) -> None:
        self.now += by


def test_sixteen_idle_minutes_on_the_clock_end_the_session(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.SESSION_COOKIE_AGE == 900  # the production limit, not a test value
    client = login_verified(Client(), agent)
    clock = _Clock(monkeypatch)
    assert client.get(SECURITY).status_code == 200

    clock.advance(timedelta(minutes=16))
    response = client.get(SECURITY)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not response.wsgi_request.user.is_authenticated


def test_a_request_every_10_minutes_keeps_a_session_only_until_12_hours_after_sign_in(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.SESSION_ABSOLUTE_SECONDS == 43_200  # the production limits, not test values
    assert settings.SESSION_COOKIE_AGE == 900
    client = login_verified(Client(), agent)
    clock = _Clock(monkeypatch)
    clock.advance(timedelta(minutes=5))
    for _ in range(72):  # at 0:05, 0:15, ... 11:55 after signing in; each renews the idle timer
        assert client.get(SECURITY).status_code == 200
        clock.advance(timedelta(minutes=10))

    response = client.get(SECURITY)  # at 12:05

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not UserSession.objects.filter(user=agent).exists()
    ended = AuditEvent.objects.get(action="session.ended")
    assert_event(ended, actor=f"user:{agent.pk}", target=agent)
    assert ended.details == {"why": "absolute_timeout"}


def test_a_signed_in_api_call_past_12_hours_gets_401_with_a_json_body(agent: User) -> None:
    client = login_verified(Client(), agent)
    _signed_in_ago(client, timedelta(hours=13))

    response = client.get(STATUS_API)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- the session list ---------------------------------------------------------------------


def test_the_security_page_lists_each_of_the_users_sessions(agent: User, other_agent: User) -> None:
    here, phone = login_verified(Client(), agent), login_verified(Client(), agent)
    login_verified(Client(), other_agent)

    response = here.get(SECURITY)

    sessions = response.context["sessions"]
    assert len(sessions) == 2
    assert [row["current"] for row in sessions].count(True) == 1
    html = response.content.decode()
    assert session_key(phone) not in html  # the key is a credential: the page shows a public id
    phone_id = session_public_id(UserSession.objects.get(session_key=session_key(phone)))
    assert _session_ids_on(html) == [phone_id]


def test_ending_other_sessions_signs_out_the_other_browser_only(agent: User) -> None:
    here, phone = login_verified(Client(), agent), login_verified(Client(), agent)

    response = here.post(END_SESSION, {"session": "others"})

    assert response.status_code == 302
    assert _sent_to_sign_in(phone)
    assert here.get(SECURITY).status_code == 200
    assert UserSession.objects.filter(user=agent).count() == 1
    ended = AuditEvent.objects.get(action="session.others_ended")
    assert_event(ended, actor=f"user:{agent.pk}", target=agent)
    assert ended.details == {"sessions_ended": 1}


def test_ending_one_listed_session_signs_out_that_browser(agent: User) -> None:
    here, phone, tablet = (login_verified(Client(), agent) for _ in range(3))
    phone_id = session_public_id(UserSession.objects.get(session_key=session_key(phone)))
    assert phone_id in _session_ids_on(here.get(SECURITY).content.decode())

    here.post(END_SESSION, {"session": phone_id})

    assert _sent_to_sign_in(phone)
    assert tablet.get(SECURITY).status_code == 200
    assert here.get(SECURITY).status_code == 200
    revoked = AuditEvent.objects.get(action="session.revoked")
    assert (revoked.actor_id, revoked.target_id) == (str(agent.pk), str(agent.pk))


def test_ending_someone_elses_session_fails_and_leaves_it_running(
    agent: User, other_agent: User
) -> None:
    victim = login_verified(Client(), other_agent)
    their_id = victim.get(SECURITY).context["sessions"][0]["id"]
    attacker = login_verified(Client(), agent)

    response = attacker.post(END_SESSION, {"session": their_id}, follow=True)

    assert "does not exist or has already ended" in response.content.decode()
    assert victim.get(SECURITY).status_code == 200
    assert not AuditEvent.objects.filter(action="session.revoked").exists()


# --- ending access at once ----------------------------------------------------------------


def test_disabling_a_person_ends_their_sessions_at_once(agent: User, security_admin: User) -> None:
    client = login_verified(Client(), agent)
    assert client.get(SECURITY).status_code == 200

    user_disable(caller=as_caller(security_admin), user=agent, reason="Left the company")

    assert _sent_to_sign_in(client)
    assert not UserSession.objects.filter(user=agent).exists()
    disabled = AuditEvent.objects.get(action="user.disabled")
    assert (disabled.actor_kind, disabled.actor_id) == ("user", str(security_admin.pk))
    assert disabled.target_id == str(agent.pk)
    assert disabled.reason == "Left the company"
    assert disabled.details == {"sessions_ended": 1, "keys_revoked": 0}


def test_changing_a_role_ends_the_persons_sessions_at_once(
    agent: User, security_admin: User
) -> None:
    client = login_verified(Client(), agent)

    user_set_role(
        caller=as_caller(security_admin), user=agent, role=Role.SUPERVISOR, reason="Promoted"
    )

    assert _sent_to_sign_in(client)
    changed = AuditEvent.objects.get(action="user.role_changed")
    assert (changed.actor_id, changed.target_id) == (str(security_admin.pk), str(agent.pk))
    assert changed.reason == "Promoted"
    assert changed.details == {
        "from": "agent",
        "to": "supervisor",
        "sessions_ended": 1,
        "keys_revoked": 0,
    }


def test_disabling_a_service_account_revokes_its_api_keys_at_once(
    integrator: Integrator, security_admin: User
) -> None:
    assert Client().get(STATUS_API, headers=_auth(integrator)).status_code == 200

    user_disable(
        caller=as_caller(security_admin), user=integrator.user, reason="CRM decommissioned"
    )

    response = Client().get(STATUS_API, headers=_auth(integrator))
    assert response.status_code == 401
    assert response.json()["error"]["message"]
    assert not ServiceAPIKey.objects.filter(user=integrator.user, revoked=False).exists()
    disabled = AuditEvent.objects.get(action="user.disabled")
    assert disabled.target_id == str(integrator.user.pk)
    assert disabled.details == {"sessions_ended": 0, "keys_revoked": 1}


# --- staying signed in ---------------------------------------------------------------------


def test_keep_alive_answers_204_to_post_and_405_to_get(agent: User) -> None:
    client = login_verified(Client(), agent)

    assert client.post(KEEP_ALIVE).status_code == 204
    assert client.get(KEEP_ALIVE).status_code == 405


def test_keep_alive_does_not_revive_an_anonymous_visitor() -> None:
    response = Client().post(KEEP_ALIVE)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_signed_in_pages_carry_the_idle_warning_and_its_script(agent: User) -> None:
    client = login_verified(Client(), agent)

    html = client.get(SECURITY).content.decode()

    assert f'data-idle-seconds="{settings.SESSION_COOKIE_AGE}"' in html
    assert "data-idle-warning" in html
    assert re.search(rf'<form method="post" action="{KEEP_ALIVE}" data-keep-alive-form>', html)
    script = re.search(r'<script src="([^"]+)"', html)
    assert script is not None
    assert script.group(1) == f"{settings.STATIC_URL}accounts/session.js"
    assert finders.find("accounts/session.js") is not None


def test_anonymous_pages_carry_no_idle_warning() -> None:
    html = Client().get(LOGIN).content.decode()

    assert "data-idle-seconds" not in html
    assert "data-idle-warning" not in html
