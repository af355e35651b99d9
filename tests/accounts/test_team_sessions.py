"""Ending every session of one team at once (an incident's containment, or a security admin):
that team's members sign in again, everyone else stays signed in; recorded with the count."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role, Team, User, UserSession
from accounts.services.sessions import sessions_end_for_team
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.errors import AccessDeniedError, ServiceError
from tests.personas import LOGIN, SECURITY, as_caller, login_verified, make_person, session_key

pytestmark = pytest.mark.django_db

REASON = "INC-2026-0005: phishing against Team A"


def _signed_in(user: User) -> Client:
    return login_verified(Client(), user)


def _still_signed_in(client: Client) -> bool:
    response = client.get(SECURITY)
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    return False


def _live(client: Client) -> bool:
    return UserSession.objects.filter(session_key=session_key(client)).exists()


def test_only_the_teams_members_are_signed_out(
    team_a: Team, agent: User, supervisor: User, other_agent: User, security_admin: User
) -> None:
    ann_at_work, ann_at_home = _signed_in(agent), _signed_in(agent)
    sue, bob, sam = _signed_in(supervisor), _signed_in(other_agent), _signed_in(security_admin)

    ended = sessions_end_for_team(caller=as_caller(security_admin), team=team_a, reason=REASON)

    assert ended == 3  # both of Ann's browsers and Sue's
    assert not any(_live(client) for client in (ann_at_work, ann_at_home, sue))
    assert not _still_signed_in(ann_at_work)
    assert not _still_signed_in(sue)
    assert _still_signed_in(bob)  # Team B
    assert _still_signed_in(sam)  # the admin, in no team


def test_the_event_names_the_team_the_count_the_people_and_the_reason(
    team_a: Team, agent: User, supervisor: User, security_admin: User
) -> None:
    for user in (agent, agent, supervisor):
        _signed_in(user)

    sessions_end_for_team(caller=as_caller(security_admin), team=team_a, reason=f"  {REASON} ")

    (event,) = AuditEvent.objects.filter(action="session.team_ended")
    assert (event.actor_kind, event.actor_id) == ("user", str(security_admin.pk))
    assert (event.target_type, event.target_id, event.outcome) == (
        "accounts.team",
        str(team_a.pk),
        "allowed",
    )
    assert event.reason == REASON
    assert event.details == {
        "sessions_ended": 3,
        "people": sorted([str(agent.pk), str(supervisor.pk)]),
    }


def test_a_team_without_sessions_ends_none_and_says_so(team_b: Team, security_admin: User) -> None:
    assert sessions_end_for_team(caller=as_caller(security_admin), team=team_b, reason=REASON) == 0
    (event,) = AuditEvent.objects.filter(action="session.team_ended")
    assert event.details == {"sessions_ended": 0, "people": []}


def test_a_member_of_two_teams_is_signed_out_with_either(
    team_a: Team, team_b: Team, security_admin: User
) -> None:
    both = _signed_in(make_person("agent.two", Role.AGENT, team_a, team_b))

    assert sessions_end_for_team(caller=as_caller(security_admin), team=team_b, reason=REASON) == 1
    assert not _live(both)


def test_the_system_ends_them_for_an_incidents_containment(team_a: Team, agent: User) -> None:
    ann = _signed_in(agent)
    containment = Caller.system("incident INC-2026-0005 containment")

    assert sessions_end_for_team(caller=containment, team=team_a, reason=REASON) == 1

    assert not _live(ann)
    event = AuditEvent.objects.get(action="session.team_ended")
    assert (event.actor_kind, event.actor_id) == ("system", "incident INC-2026-0005 containment")


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER])
def test_a_person_who_may_not_disable_accounts_is_refused_with_403(
    team_a: Team, agent: User, role: Role
) -> None:
    ann = _signed_in(agent)
    person = agent if role == Role.AGENT else make_person("some.one", role, team_a)

    with pytest.raises(AccessDeniedError) as refused:
        sessions_end_for_team(caller=as_caller(person), team=team_a, reason=REASON)

    assert refused.value.status == 403
    assert _live(ann)
    assert _still_signed_in(ann)
    assert not AuditEvent.objects.filter(action="session.team_ended").exists()
    (denied,) = AuditEvent.objects.filter(action="access.denied")
    assert (denied.actor_id, denied.target_type, denied.target_id) == (
        str(person.pk),
        "accounts.team",
        str(team_a.pk),
    )
    assert denied.details == {
        "rule": "accounts.disable_users",
        "via": "page",
        "resource": f"accounts.team:{team_a.pk}",
        "why": "missing_permission:accounts.assign_role",
    }


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required_and_nothing_ends_without_one(
    team_a: Team, agent: User, security_admin: User, reason: str
) -> None:
    ann = _signed_in(agent)

    with pytest.raises(ServiceError) as error:
        sessions_end_for_team(caller=as_caller(security_admin), team=team_a, reason=reason)

    assert error.value.status == 400
    assert error.value.fields == {"reason": ["This field is required."]}
    assert _live(ann)
    assert not AuditEvent.objects.filter(action="session.team_ended").exists()
