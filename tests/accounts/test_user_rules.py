"""Rules that keep the platform manageable: nobody locks out the last security admin."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role, User
from accounts.services.users import user_disable, user_set_role
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from tests.personas import PASSWORD, as_caller, current_code, login_verified, make_person

pytestmark = pytest.mark.django_db


def test_a_security_admin_cannot_disable_their_own_account(security_admin: User) -> None:
    other = make_person("sec.other", Role.SECURITY_ADMIN)
    with pytest.raises(ServiceError, match="your own account"):
        user_disable(caller=as_caller(security_admin), user=security_admin, reason="oops")
    security_admin.refresh_from_db()
    assert security_admin.is_active
    assert other.is_active
    assert not AuditEvent.objects.filter(action="user.disabled").exists()


def test_the_last_active_security_admin_cannot_be_demoted(security_admin: User) -> None:
    with pytest.raises(ServiceError, match="last active security admin"):
        user_set_role(
            caller=Caller.system("test"), user=security_admin, role=Role.AGENT, reason="reorg"
        )
    security_admin.refresh_from_db()
    assert security_admin.role == Role.SECURITY_ADMIN


def test_another_security_admin_can_be_demoted_while_one_remains(security_admin: User) -> None:
    other = make_person("sec.other", Role.SECURITY_ADMIN)
    user_set_role(caller=as_caller(security_admin), user=other, role=Role.AGENT, reason="moved")
    other.refresh_from_db()
    assert other.role == Role.AGENT
    event = AuditEvent.objects.get(action="user.role_changed", target_id=str(other.pk))
    assert event.details["from"] == "security_admin"


def test_the_dormancy_task_may_disable_an_unused_last_security_admin(security_admin: User) -> None:
    # System actions are not blocked: an unused admin account is a risk, not a safeguard.
    user_disable(caller=Caller.system("dormant-accounts"), user=security_admin, reason="unused")
    security_admin.refresh_from_db()
    assert not security_admin.is_active


def test_a_rejected_new_password_does_not_spend_the_one_time_code(
    client: Client, agent: User
) -> None:
    login_verified(client, agent)
    code = current_code(agent)
    form = {"current_password": PASSWORD, "code": code}
    short = client.post(
        "/accounts/security/password/",
        {**form, "new_password": "too short", "new_password_again": "too short"},
    )
    assert short.status_code == 400
    new_password = "a brand new and long passphrase 7"
    accepted = client.post(
        "/accounts/security/password/",
        {**form, "new_password": new_password, "new_password_again": new_password},
    )
    assert accepted.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(new_password)
    assert not AuditEvent.objects.filter(action="auth.otp_replayed").exists()
