"""Need-to-know: who sees which customers, and what a hidden or missing record looks like."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.utils import timezone

from accounts.models import Role, ServiceAPIKey, Team, User
from accounts.roles import ROLE_PERMISSIONS
from accounts.services.api_keys import api_key_revoke
from accounts.services.users import user_disable
from audit.models import AuditEvent
from ccplatform.context import Actor
from customers.models import Customer
from customers.permissions import (
    can_reveal,
    can_view_customers,
    can_view_medical,
    can_write_customers,
)
from customers.selectors import customer_get_for, customers_visible_to
from customers.services.records import customer_create
from tests.personas import Integrator, make_integrator, make_person

pytestmark = pytest.mark.django_db

SETUP = Actor.system("test-setup")
CUSTOMER_WORK = {
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.reveal_customer",
    "customers.add_note",
    "customers.add_interaction",
}


def make_customer(team: Team, name: str, *assigned: User) -> Customer:
    return customer_create(actor=SETUP, team=team, values={"name": name}, assigned_to=assigned)


def verified(user: User) -> User:
    """The user as the OTP middleware leaves them after a verified second factor."""
    user.is_verified = lambda: True  # type: ignore[attr-defined]
    return user


def key_of(integrator: Integrator) -> ServiceAPIKey:
    key: ServiceAPIKey = ServiceAPIKey.objects.get(user=integrator.user)
    return key


@pytest.fixture
def customers(team_a: Team, team_b: Team) -> dict[str, Customer]:
    return {"a": make_customer(team_a, "Alma A"), "b": make_customer(team_b, "Bert B")}


# --- Roles and predicates -------------------------------------------------------------------


def customer_perms(user: User) -> set[str]:
    return {perm for perm in user.get_all_permissions() if perm.startswith("customers.")}


def test_agent_holds_customer_work_but_not_medical(agent: User) -> None:
    assert customer_perms(agent) == CUSTOMER_WORK


def test_supervisor_also_holds_medical(supervisor: User) -> None:
    assert customer_perms(supervisor) == CUSTOMER_WORK | {"customers.view_medical"}


def test_compliance_officer_security_admin_and_integrator_hold_no_customer_permission(
    compliance_officer: User, security_admin: User, integrator: Integrator
) -> None:
    for user in (compliance_officer, security_admin, integrator.user):
        assert customer_perms(user) == set(), user.username
    assert not any(name.startswith("customers.") for name in ROLE_PERMISSIONS[Role.SECURITY_ADMIN])


def test_predicates_follow_the_role_for_a_verified_person(
    agent: User, supervisor: User, compliance_officer: User, security_admin: User
) -> None:
    predicates = (can_view_customers, can_write_customers, can_reveal, can_view_medical)
    table = {
        user.username: [predicate(verified(user)) for predicate in predicates]
        for user in (agent, supervisor, compliance_officer, security_admin)
    }
    assert table == {
        "agent.ann": [True, True, True, False],
        "super.sue": [True, True, True, True],
        "comply.carl": [False, False, False, False],
        "sec.sam": [False, False, False, False],
    }


def test_predicates_refuse_a_person_without_a_verified_second_factor(supervisor: User) -> None:
    assert not can_view_customers(supervisor)
    assert not can_view_medical(supervisor)


def test_predicates_refuse_a_service_account_even_holding_the_permission(
    integrator: Integrator,
) -> None:
    view = Permission.objects.get(content_type__app_label="customers", codename="view_customer")
    integrator.user.user_permissions.add(view)
    account = verified(User.objects.get(pk=integrator.user.pk))
    assert account.has_perm("customers.view_customer")
    assert not can_view_customers(account)


# --- customers_visible_to -------------------------------------------------------------------


def test_agent_sees_own_teams_customers_and_those_assigned_to_them(
    team_a: Team, team_b: Team, agent: User, customers: dict[str, Customer]
) -> None:
    assigned_elsewhere = make_customer(team_b, "Cleo C", agent)
    assigned_in_team = make_customer(team_a, "Dora D", agent)
    visible = customers_visible_to(agent)
    assert set(visible) == {customers["a"], assigned_elsewhere, assigned_in_team}
    assert visible.count() == 3  # a customer both in the team and assigned appears once


def test_agent_does_not_see_other_teams_customers(
    agent: User, other_agent: User, customers: dict[str, Customer]
) -> None:
    assert customers["b"] not in customers_visible_to(agent)
    assert list(customers_visible_to(other_agent)) == [customers["b"]]


def test_agent_in_two_teams_sees_both(
    team_a: Team, team_b: Team, customers: dict[str, Customer]
) -> None:
    both = make_person("agent.two", Role.AGENT, team_a, team_b)
    assert set(customers_visible_to(both)) == {customers["a"], customers["b"]}


def test_supervisor_sees_their_teams_only(
    team_b: Team, supervisor: User, customers: dict[str, Customer]
) -> None:
    make_customer(team_b, "Cleo C", supervisor)  # assignment alone does not widen a supervisor
    assert list(customers_visible_to(supervisor)) == [customers["a"]]


def test_compliance_officer_and_security_admin_see_none(
    compliance_officer: User, security_admin: User, customers: dict[str, Customer]
) -> None:
    assert not customers_visible_to(compliance_officer).exists()
    assert not customers_visible_to(security_admin).exists()


def test_agent_without_a_team_sees_none(customers: dict[str, Customer]) -> None:
    loner = make_person("agent.loner", Role.AGENT)
    assert not customers_visible_to(loner).exists()


def test_disabled_agent_sees_none(agent: User, customers: dict[str, Customer]) -> None:
    assert customers_visible_to(agent).exists()
    user_disable(actor=SETUP, user=agent, reason="left the company")
    assert not customers_visible_to(User.objects.get(pk=agent.pk)).exists()


def test_integrator_key_with_customers_read_sees_all(
    integrator: Integrator, customers: dict[str, Customer]
) -> None:
    assert set(customers_visible_to(key_of(integrator))) == set(customers.values())


def test_integrator_key_without_customers_read_sees_none(customers: dict[str, Customer]) -> None:
    writer = make_integrator("crm.writer", scopes=("customers:write",))
    assert not customers_visible_to(key_of(writer)).exists()


def test_revoked_integrator_key_sees_none(
    integrator: Integrator, customers: dict[str, Customer]
) -> None:
    api_key_revoke(actor=SETUP, key=key_of(integrator), reason="rotated")
    assert not customers_visible_to(key_of(integrator)).exists()


def test_expired_integrator_key_sees_none(
    integrator: Integrator, customers: dict[str, Customer]
) -> None:
    yesterday = timezone.now() - dt.timedelta(days=1)
    ServiceAPIKey.objects.filter(pk=key_of(integrator).pk).update(expiry_date=yesterday)
    assert not customers_visible_to(key_of(integrator)).exists()


def test_integrator_key_of_a_disabled_account_sees_none(customers: dict[str, Customer]) -> None:
    integrator = make_integrator("crm.old")
    # Disabled behind the services' back, so that the key itself stays unrevoked.
    User.objects.filter(pk=integrator.user.pk).update(is_active=False)
    assert not customers_visible_to(key_of(integrator)).exists()


# --- customer_get_for -----------------------------------------------------------------------


def test_get_for_returns_a_visible_customer_without_auditing_a_denial(
    agent: User, customers: dict[str, Customer]
) -> None:
    assert customer_get_for(agent, customers["a"].pk) == customers["a"]
    assert customer_get_for(agent, str(customers["a"].pk)) == customers["a"]
    assert not AuditEvent.objects.filter(action="customer.access_denied").exists()


def test_hidden_and_missing_customers_raise_the_same_404_and_both_are_audited(
    agent: User, customers: dict[str, Customer]
) -> None:
    hidden_id, missing_id = customers["b"].pk, uuid.uuid4()
    raised = []
    for customer_id in (hidden_id, missing_id):
        with pytest.raises(Http404) as error:
            customer_get_for(agent, customer_id)
        raised.append((type(error.value), error.value.args))
    assert raised[0] == raised[1]

    events = AuditEvent.objects.filter(action="customer.access_denied").order_by("id")
    assert [(e.target_type, e.target_id) for e in events] == [
        ("customers.customer", str(hidden_id)),
        ("customers.customer", str(missing_id)),
    ]
    assert {(e.actor_kind, e.actor_id, e.outcome) for e in events} == {
        ("user", str(agent.pk), "denied")
    }
    assert events[0].details == events[1].details


@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_people_without_customer_access_get_the_audited_404(
    persona: str, request: pytest.FixtureRequest, customers: dict[str, Customer]
) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(Http404):
        customer_get_for(user, customers["a"].pk)
    event = AuditEvent.objects.get(action="customer.access_denied")
    assert (event.actor_id, event.target_id) == (str(user.pk), str(customers["a"].pk))


def test_integrator_without_scope_gets_the_404_audited_against_its_key(
    customers: dict[str, Customer],
) -> None:
    writer = make_integrator("crm.writer", scopes=("customers:write",))
    key = key_of(writer)
    with pytest.raises(Http404):
        customer_get_for(key, customers["a"].pk)
    event = AuditEvent.objects.get(action="customer.access_denied")
    assert (event.actor_kind, event.actor_id) == ("api_key", key.prefix)


def test_malformed_id_gives_404(agent: User) -> None:
    with pytest.raises(Http404):
        customer_get_for(agent, "not-a-uuid")
