"""Dormant accounts: people unused for 90 days are disabled by a scheduled task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import User
from accounts.services.users import user_disable, user_enable
from accounts.tasks import disable_dormant_accounts
from audit.models import AuditEvent
from ccplatform.celery import app
from tests.personas import PASSWORD, Integrator, as_caller, login_verified

pytestmark = pytest.mark.django_db

TASK = "accounts.tasks.disable_dormant_accounts"


def _age(user: User, *, last_login_days: int | None, active_since_days: int = 365) -> None:
    """Write the account's history straight into the database, as if that time had passed."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(
        last_login=None if last_login_days is None else now - timedelta(days=last_login_days),
        active_since=now - timedelta(days=active_since_days),
    )


def _active(user: User) -> bool:
    user.refresh_from_db()
    return user.is_active


def test_a_person_last_seen_91_days_ago_is_disabled_and_it_is_recorded(agent: User) -> None:
    _age(agent, last_login_days=91)

    assert disable_dormant_accounts() == 1

    assert not _active(agent)
    disabled = AuditEvent.objects.get(action="user.disabled")
    assert (disabled.actor_kind, disabled.actor_id) == ("system", "dormant-accounts")
    assert (disabled.target_type, disabled.target_id) == ("accounts.user", str(agent.pk))
    assert disabled.outcome == "allowed"
    assert "90 days" in disabled.reason


def test_a_person_last_seen_89_days_ago_stays_active(agent: User) -> None:
    _age(agent, last_login_days=89)

    assert disable_dormant_accounts() == 0

    assert _active(agent)
    assert not AuditEvent.objects.filter(action="user.disabled").exists()


def test_a_person_who_never_signed_in_is_disabled_91_days_after_creation(agent: User) -> None:
    _age(agent, last_login_days=None, active_since_days=91)

    disable_dormant_accounts()

    assert not _active(agent)


def test_a_new_person_who_has_not_signed_in_yet_stays_active(agent: User) -> None:
    _age(agent, last_login_days=None, active_since_days=10)

    disable_dormant_accounts()

    assert _active(agent)


def test_a_re_enabled_person_gets_a_fresh_90_days(agent: User, security_admin: User) -> None:
    admin = as_caller(security_admin)
    _age(agent, last_login_days=120)
    disable_dormant_accounts()
    assert not _active(agent)

    user_enable(caller=admin, user=agent, reason="Back from long leave")
    disable_dormant_accounts()

    assert _active(agent)
    enabled = AuditEvent.objects.get(action="user.enabled")
    assert (enabled.actor_id, enabled.target_id) == (str(security_admin.pk), str(agent.pk))
    assert AuditEvent.objects.filter(action="user.disabled").count() == 1


def test_service_accounts_are_never_disabled_for_dormancy(integrator: Integrator) -> None:
    _age(integrator.user, last_login_days=None, active_since_days=400)

    disable_dormant_accounts()

    assert _active(integrator.user)
    assert not AuditEvent.objects.filter(action="user.disabled").exists()


def test_disabled_accounts_are_left_alone(agent: User, security_admin: User) -> None:
    user_disable(caller=as_caller(security_admin), user=agent, reason="Left the company")
    _age(agent, last_login_days=200)

    assert disable_dormant_accounts() == 0

    assert AuditEvent.objects.filter(action="user.disabled").count() == 1


def test_a_dormant_persons_open_session_ends_with_the_disabling(agent: User) -> None:
    client = login_verified(Client(), agent)
    _age(agent, last_login_days=91)

    disable_dormant_accounts()

    response = client.get("/accounts/security/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    refused = Client().post("/accounts/login/", {"username": agent.username, "password": PASSWORD})
    assert refused.status_code == 200  # a disabled account cannot start signing in


@override_settings(DORMANT_DAYS=30)
def test_dormant_days_setting_moves_the_cutoff(agent: User, other_agent: User) -> None:
    _age(agent, last_login_days=31)
    _age(other_agent, last_login_days=29)

    assert disable_dormant_accounts() == 1

    assert not _active(agent)
    assert _active(other_agent)
    assert "30 days" in AuditEvent.objects.get(action="user.disabled").reason


def test_the_task_runs_through_celery(agent: User) -> None:
    _age(agent, last_login_days=91)

    result = disable_dormant_accounts.delay()

    assert result.get(timeout=10) == 1
    assert not _active(agent)


def test_the_task_is_in_the_beat_schedule() -> None:
    app.finalize()

    tasks = [entry["task"] for entry in app.conf.beat_schedule.values()]

    assert TASK in tasks
    assert TASK in app.tasks
