"""The accounts admin for people: security admins create accounts, change them, act on them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuthenticatorDevice, Role, ServiceAPIKey, Team, User, UserSession
from accounts.services.users import user_disable
from tests.accounts.admin_pages import KEY_ADD, USER_ADD, USERS, events, run_action, url
from tests.personas import SETUP, Integrator, login_verified, make_person

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase for the new hire"


def signed_in_elsewhere(user: User) -> None:
    login_verified(Client(), user)
    assert UserSession.objects.filter(user=user).exists()


# --- Creating accounts ---------------------------------------------------------------------


def test_security_admin_creates_a_person_with_role_and_teams(
    admin_client: Client, security_admin: User, team_a: Team
) -> None:
    response = admin_client.post(
        url(USER_ADD),
        {
            "username": "new.hire",
            "email": "new.hire@staff.example",
            "role": Role.AGENT,
            "teams": [team_a.pk],
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )

    user = User.objects.get(username="new.hire")
    assert response.status_code == 302
    assert response["Location"] == url("accounts_user_change", user.pk)
    assert user.role == Role.AGENT
    assert user.check_password(NEW_PASSWORD)
    assert list(user.teams.all()) == [team_a]
    assert list(user.groups.values_list("name", flat=True)) == ["Agent"]
    [event] = events("user.created", user.pk)
    assert event.actor_id == str(security_admin.pk)


def test_security_admin_creates_a_service_account_without_a_usable_password(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        url(USER_ADD), {"username": "billing.sync", "role": Role.INTEGRATOR}
    )

    user = User.objects.get(username="billing.sync")
    assert response.status_code == 302
    assert user.is_service_account
    assert not user.has_usable_password()
    assert events("user.created", user.pk)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password": "", "password_again": ""}, "A person needs a password."),
        ({"password_again": "something else entirely here"}, "The two passwords differ."),
        ({"password": "short", "password_again": "short"}, "The password is not strong enough."),
        ({"email": ""}, "A person needs an email address"),
        ({"role": Role.INTEGRATOR}, "Service accounts have no password"),
        ({"username": "SEC.SAM"}, "That username is taken."),
        ({"role": "superuser"}, "Select a valid choice."),
    ],
)
def test_bad_account_details_are_shown_on_the_form_and_nothing_is_created(
    admin_client: Client, changes: dict[str, str], message: str
) -> None:
    data = {
        "username": "new.hire",
        "email": "new.hire@staff.example",
        "role": Role.AGENT,
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    } | changes
    users_before, created_before = User.objects.count(), len(events("user.created"))

    response = admin_client.post(url(USER_ADD), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == users_before
    assert len(events("user.created")) == created_before


# --- Role and teams ------------------------------------------------------------------------


def test_role_change_with_a_reason_ends_the_sessions_and_is_audited(
    admin_client: Client, agent: User, security_admin: User
) -> None:
    signed_in_elsewhere(agent)

    response = admin_client.post(
        url("accounts_user_change", agent.pk),
        {
            "role": Role.SUPERVISOR,
            "teams": [t.pk for t in agent.teams.all()],
            "reason": "Promoted, ticket 42",
        },
    )

    agent.refresh_from_db()
    assert response.status_code == 302
    assert agent.role == Role.SUPERVISOR
    assert list(agent.groups.values_list("name", flat=True)) == ["Supervisor"]
    assert not UserSession.objects.filter(user=agent).exists()
    [event] = events("user.role_changed", agent.pk)
    assert event.reason == "Promoted, ticket 42"
    assert event.actor_id == str(security_admin.pk)
    assert event.details["from"] == Role.AGENT
    assert event.details["sessions_ended"] == 1


def test_role_change_without_a_reason_is_refused_and_nothing_changes(
    admin_client: Client, agent: User, team_b: Team
) -> None:
    signed_in_elsewhere(agent)

    response = admin_client.post(
        url("accounts_user_change", agent.pk),
        {"role": Role.SUPERVISOR, "teams": [team_b.pk], "reason": " "},
    )

    agent.refresh_from_db()
    assert response.status_code == 200
    assert "Give a reason for the role change" in response.content.decode()
    assert agent.role == Role.AGENT
    assert [t.name for t in agent.teams.all()] == ["Team A"]
    assert UserSession.objects.filter(user=agent).exists()
    assert not events("user.role_changed")
    assert not events("user.teams_changed")


def test_team_change_needs_no_reason_and_is_audited(
    admin_client: Client, agent: User, team_a: Team, team_b: Team
) -> None:
    response = admin_client.post(
        url("accounts_user_change", agent.pk), {"role": Role.AGENT, "teams": [team_a.pk, team_b.pk]}
    )

    assert response.status_code == 302
    assert set(agent.teams.all()) == {team_a, team_b}
    [event] = events("user.teams_changed", agent.pk)
    assert event.details["added"] == [str(team_b.pk)]
    assert not events("user.role_changed")


def test_a_service_account_cannot_be_made_a_person(
    admin_client: Client, integrator: Integrator
) -> None:
    response = admin_client.post(
        url("accounts_user_change", integrator.user.pk), {"role": Role.AGENT, "reason": "try"}
    )

    integrator.user.refresh_from_db()
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert integrator.user.role == Role.INTEGRATOR


def test_account_page_shows_status_and_the_actions_without_secrets(
    admin_client: Client, agent: User
) -> None:
    content = admin_client.get(url("accounts_user_change", agent.pk)).content.decode()

    assert "Authenticator app" in content
    assert "Set up" in content
    for label in ("Disable…", "Reset second factor…", "Save role and teams"):
        assert label in content
    assert "Enable…" not in content
    assert "Unlock…" not in content
    assert agent.password not in content


# --- Actions with a reason -----------------------------------------------------------------


def test_an_action_first_asks_for_the_reason_and_changes_nothing(
    admin_client: Client, agent: User
) -> None:
    response = run_action(admin_client, USERS, "disable_users", [agent], reason=None)

    agent.refresh_from_db()
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="reason"' in content
    assert agent.username in content
    assert agent.is_active


def _lock(user: User) -> None:
    User.objects.filter(pk=user.pk).update(
        locked_until=timezone.now() + timedelta(minutes=30), failed_sign_in_count=4
    )


def _disable(user: User) -> None:
    user_disable(caller=SETUP, user=user, reason="set-up")


ACTIONS = {
    # action: (audit event, set-up, check that it happened)
    "disable_users": (
        "user.disabled",
        signed_in_elsewhere,
        lambda u: not u.is_active and not u.sessions.exists(),
    ),
    "enable_users": ("user.enabled", _disable, lambda u: u.is_active),
    "unlock_users": (
        "user.unlocked",
        _lock,
        lambda u: u.locked_until is None and u.failed_sign_in_count == 0,
    ),
    "reset_second_factor": (
        "mfa.reset",
        signed_in_elsewhere,
        lambda u: not AuthenticatorDevice.objects.filter(user=u).exists(),
    ),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_with_a_reason_goes_through_its_service(
    admin_client: Client, agent: User, security_admin: User, action: str
) -> None:
    audit_action, set_up, happened = ACTIONS[action]
    set_up(agent)

    response = run_action(
        admin_client, USERS, action, [agent], reason="Ticket 7: confirmed by phone"
    )

    agent.refresh_from_db()
    assert response.status_code == 302
    assert happened(agent)
    [event] = events(audit_action, agent.pk)
    assert event.reason == "Ticket 7: confirmed by phone"
    assert event.actor_id == str(security_admin.pk)


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_without_a_reason_shows_an_error_and_changes_nothing(
    admin_client: Client, agent: User, action: str
) -> None:
    audit_action, set_up, happened = ACTIONS[action]
    set_up(agent)

    response = run_action(admin_client, USERS, action, [agent], reason="   ")

    agent.refresh_from_db()
    assert response.status_code == 200
    assert "Give a reason: it is recorded in the audit log." in response.content.decode()
    assert not happened(agent)
    assert not events(audit_action, agent.pk)


# --- Who may use it ------------------------------------------------------------------------


def test_agents_are_refused_the_admin_with_403_audited_and_nothing_is_written(
    client: Client, agent: User, other_agent: User
) -> None:
    login_verified(client, agent)

    listing = client.get(url(USERS))
    action = run_action(client, USERS, "disable_users", [other_agent], reason="revenge")
    # The admin sends whoever may not use it to its sign-in URL; a person signed in with both
    # factors is not asked to sign in again there, but refused: not staff.
    landing = client.get(listing["Location"])

    other_agent.refresh_from_db()
    assert listing.status_code == 302
    assert action.status_code == 302
    assert listing["Location"].startswith(reverse("admin:login"))
    assert action["Location"].startswith(reverse("admin:login"))
    assert landing.status_code == 403
    assert other_agent.is_active
    assert not events("user.disabled")
    [denied] = events("access.denied")
    assert (denied.actor_kind, denied.actor_id) == ("user", str(agent.pk))
    assert (denied.target_type, denied.target_id) == ("admin", "GET /admin/login/")
    assert denied.details == {
        "rule": "accounts.use_admin",
        "via": "admin",
        "resource": "GET /admin/login/",
        "why": "not_staff",
    }


def test_compliance_officers_get_403_audited_and_nothing_is_written(
    client: Client, compliance_officer: User, agent: User, integrator: Integrator
) -> None:
    login_verified(client, compliance_officer)
    users_before = User.objects.count()

    responses = [
        client.get(url(USERS)),
        client.post(url(USER_ADD), {"username": "x", "role": Role.INTEGRATOR}),
        client.post(
            url("accounts_user_change", agent.pk), {"role": Role.SUPERVISOR, "reason": "r"}
        ),
        run_action(client, USERS, "disable_users", [agent], reason="r"),
        client.post(
            url(KEY_ADD), {"user": integrator.user.pk, "name": "x", "scopes": ["audit:read"]}
        ),
    ]

    agent.refresh_from_db()
    assert [r.status_code for r in responses] == [403] * 5
    assert User.objects.count() == users_before
    assert ServiceAPIKey.objects.count() == 1
    assert agent.is_active
    assert agent.role == Role.AGENT
    denied = sorted(events("access.denied"), key=lambda e: e.id)
    assert len(denied) == 5
    assert {e.actor_id for e in denied} == {str(compliance_officer.pk)}
    assert {e.outcome for e in denied} == {"denied"}
    entry_points = [f"{r.wsgi_request.method} {r.wsgi_request.path}" for r in responses]
    assert [e.details["resource"] for e in denied] == entry_points
    for event in denied:
        assert set(event.details) == {"rule", "via", "resource", "why"}
        assert event.details["via"] == "admin"
        assert (event.target_type, event.target_id) == ("admin", event.details["resource"][:64])
    # The list is open to viewing or changing people; the refusal names one of those rules.
    assert denied[0].details["rule"] in {"accounts.view_users", "accounts.manage_users"}
    assert [(e.details["rule"], e.details["why"]) for e in denied[1:]] == [
        ("accounts.add_users", "missing_permission:accounts.assign_role"),
        ("accounts.manage_users", "missing_permission:accounts.assign_role"),
        ("accounts.manage_users", "missing_permission:accounts.assign_role"),
        ("accounts.manage_api_keys", "missing_permission:accounts.manage_api_keys"),
    ]


def test_service_accounts_cannot_use_the_admin(client: Client, integrator: Integrator) -> None:
    with_key = client.post(
        url(USER_ADD),
        {"username": "x", "role": Role.INTEGRATOR},
        HTTP_AUTHORIZATION=f"Api-Key {integrator.key}",
    )
    client.force_login(integrator.user)  # a session without a second factor is never accepted
    with_session = client.post(url(USER_ADD), {"username": "y", "role": Role.INTEGRATOR})

    assert (with_key.status_code, with_session.status_code) == (302, 302)
    assert not User.objects.filter(username__in=["x", "y"]).exists()


def test_security_admins_hold_no_customer_permissions(security_admin: User) -> None:
    permissions = security_admin.get_all_permissions()
    assert "accounts.assign_role" in permissions
    assert not [name for name in permissions if name.startswith("customers.")]
    group_permissions = Group.objects.filter(user=security_admin).values_list(
        "permissions__content_type__app_label", flat=True
    )
    assert "customers" not in set(group_permissions)


# --- What the admin does not offer -----------------------------------------------------------


def test_accounts_are_never_deleted(admin_client: Client, agent: User) -> None:
    user_admin = admin.site.get_model_admin(User)
    request = admin_client.get(url(USERS)).wsgi_request

    response = admin_client.post(url("accounts_user_delete", agent.pk), {"post": "yes"})

    assert not user_admin.has_delete_permission(request, agent)
    assert "delete_selected" not in user_admin.get_actions(request)
    assert response.status_code == 403
    assert User.objects.filter(pk=agent.pk).exists()


def test_the_account_list_costs_the_same_queries_for_more_accounts(
    admin_client: Client, team_a: Team
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url(USERS)).status_code == 200
        return len(captured)

    make_person("extra.one", Role.AGENT, team_a)
    few = queries()
    for number in range(5):
        make_person(f"extra.more{number}", Role.SUPERVISOR, team_a)

    assert queries() == few
