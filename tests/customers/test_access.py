"""Need-to-know: who sees which customers, and what a hidden or missing record looks like."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.http import Http404
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts.callers import attach_request_caller
from accounts.models import Role, ServiceAPIKey, Team, User
from accounts.permissions import can_sign_in
from accounts.roles import ROLE_PERMISSIONS
from accounts.services.api_keys import api_key_revoke
from accounts.services.users import user_disable
from audit.models import AuditEvent
from ccplatform.callers import Caller, Via
from customers.models import Customer
from customers.permissions import (
    can_create_customers,
    can_reveal,
    can_update_customers,
    can_view_customers,
    can_view_medical,
)
from customers.selectors import customer_get_for, customers_visible_to
from customers.services.records import customer_create
from tests.personas import SETUP, Integrator, as_caller, key_caller, make_integrator, make_person

pytestmark = pytest.mark.django_db

API = "/api/v1/customers/"
CUSTOMER_WORK = {
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.reveal_customer",
    "customers.add_note",
    "customers.add_interaction",
}


def make_customer(team: Team, name: str, *assigned: User) -> Customer:
    return customer_create(
        caller=SETUP, team_id=team.pk, values={"name": name}, assigned_to=assigned
    )


def key_of(integrator: Integrator) -> ServiceAPIKey:
    key: ServiceAPIKey = ServiceAPIKey.objects.get(user=integrator.user)
    return key


def denials() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="access.denied").order_by("id"))


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
    predicates = (
        can_view_customers,
        can_create_customers,
        can_update_customers,
        can_reveal,
        can_view_medical,
    )
    table = {
        user.username: [bool(predicate(as_caller(user))) for predicate in predicates]
        for user in (agent, supervisor, compliance_officer, security_admin)
    }
    assert table == {
        "agent.ann": [True, True, True, True, False],
        "super.sue": [True, True, True, True, True],
        "comply.carl": [False, False, False, False, False],
        "sec.sam": [False, False, False, False, False],
    }
    refusal = can_view_medical(as_caller(agent))
    assert (refusal.rule, refusal.why) == (
        "customers.view_medical",
        "missing_permission:customers.view_medical",
    )


def test_a_person_without_a_verified_second_factor_is_nobody_to_the_predicates(
    supervisor: User,
) -> None:
    request = RequestFactory().get("/workspace/")
    supervisor.is_verified = lambda: False  # type: ignore[attr-defined]  # password step only
    request.user = supervisor
    caller = attach_request_caller(request)

    assert caller.is_anonymous
    for predicate in (can_view_customers, can_view_medical):
        decision = predicate(caller)
        assert not decision
        assert decision.why == "not_signed_in"
    assert not customers_visible_to(caller).exists()

    supervisor.is_verified = lambda: True  # type: ignore[attr-defined]
    verified = attach_request_caller(request)
    assert verified.is_person
    assert can_view_customers(verified)
    assert can_view_medical(verified)


def test_a_key_acts_with_its_scopes_never_its_service_accounts_permissions(
    team_a: Team,
) -> None:
    writer = make_integrator("crm.writer", scopes=("customers:write",))
    view = Permission.objects.get(content_type__app_label="customers", codename="view_customer")
    writer.user.user_permissions.add(view)
    account = User.objects.get(pk=writer.user.pk)
    assert account.has_perm("customers.view_customer")

    caller = key_caller(writer)

    assert caller.is_key
    assert not caller.has_perm("customers.view_customer")
    decision = can_view_customers(caller)
    assert not decision
    assert decision.why == "missing_scope:customers:read"
    make_customer(team_a, "Alma A")
    assert not customers_visible_to(caller).exists()
    # And the account can never be a person caller: service accounts do not sign in.
    refusal = can_sign_in(account)
    assert (refusal.rule, refusal.why) == ("accounts.sign_in", "service_account")


# --- customers_visible_to -------------------------------------------------------------------


def test_agent_sees_own_teams_customers_and_those_assigned_to_them(
    team_a: Team, team_b: Team, agent: User, customers: dict[str, Customer]
) -> None:
    assigned_elsewhere = make_customer(team_b, "Cleo C", agent)
    assigned_in_team = make_customer(team_a, "Dora D", agent)
    visible = customers_visible_to(as_caller(agent))
    assert set(visible) == {customers["a"], assigned_elsewhere, assigned_in_team}
    assert visible.count() == 3  # a customer both in the team and assigned appears once


def test_agent_does_not_see_other_teams_customers(
    agent: User, other_agent: User, customers: dict[str, Customer]
) -> None:
    assert customers["b"] not in customers_visible_to(as_caller(agent))
    assert list(customers_visible_to(as_caller(other_agent))) == [customers["b"]]


def test_agent_in_two_teams_sees_both(
    team_a: Team, team_b: Team, customers: dict[str, Customer]
) -> None:
    both = make_person("agent.two", Role.AGENT, team_a, team_b)
    assert set(customers_visible_to(as_caller(both))) == {customers["a"], customers["b"]}


def test_supervisor_sees_their_teams_only(
    team_b: Team, supervisor: User, customers: dict[str, Customer]
) -> None:
    make_customer(team_b, "Cleo C", supervisor)  # assignment alone does not widen a supervisor
    assert list(customers_visible_to(as_caller(supervisor))) == [customers["a"]]


def test_compliance_officer_and_security_admin_see_none(
    compliance_officer: User, security_admin: User, customers: dict[str, Customer]
) -> None:
    assert not customers_visible_to(as_caller(compliance_officer)).exists()
    assert not customers_visible_to(as_caller(security_admin)).exists()


def test_agent_without_a_team_sees_none(customers: dict[str, Customer]) -> None:
    loner = make_person("agent.loner", Role.AGENT)
    assert not customers_visible_to(as_caller(loner)).exists()


def test_disabled_agent_sees_none(agent: User, customers: dict[str, Customer]) -> None:
    assert customers_visible_to(as_caller(agent)).exists()
    user_disable(caller=SETUP, user=agent, reason="left the company")
    assert not customers_visible_to(as_caller(User.objects.get(pk=agent.pk))).exists()


def test_integrator_key_with_customers_read_sees_all(
    integrator: Integrator, customers: dict[str, Customer]
) -> None:
    assert set(customers_visible_to(key_caller(integrator))) == set(customers.values())


def test_integrator_key_without_customers_read_sees_none(customers: dict[str, Customer]) -> None:
    writer = make_integrator("crm.writer", scopes=("customers:write",))
    assert not customers_visible_to(key_caller(writer)).exists()


# A key that is revoked, expired or whose account is disabled never becomes a caller: the
# API-key authentication refuses it (401) before any selector runs, and says why.


def _key_refused(integrator: Integrator, why: str) -> None:
    response = Client().get(API, headers={"Authorization": f"Api-Key {integrator.key}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "results" not in response.json()
    assert not AuditEvent.objects.filter(action="customer.listed").exists()
    refused = AuditEvent.objects.get(action="api_key.denied")
    assert (refused.actor_kind, refused.actor_id) == ("api_key", integrator.key.partition(".")[0])
    assert refused.details == {"why": why}


def test_revoked_integrator_key_sees_none(
    integrator: Integrator, customers: dict[str, Customer]
) -> None:
    api_key_revoke(caller=SETUP, key=key_of(integrator), reason="rotated")
    _key_refused(integrator, "revoked")


def test_expired_integrator_key_sees_none(
    integrator: Integrator, customers: dict[str, Customer]
) -> None:
    yesterday = timezone.now() - dt.timedelta(days=1)
    ServiceAPIKey.objects.filter(pk=key_of(integrator).pk).update(expiry_date=yesterday)
    _key_refused(integrator, "expired")


def test_integrator_key_of_a_disabled_account_sees_none(customers: dict[str, Customer]) -> None:
    integrator = make_integrator("crm.old")
    # Disabled behind the services' back, so that the key itself stays unrevoked.
    User.objects.filter(pk=integrator.user.pk).update(is_active=False)
    _key_refused(integrator, "account_disabled")


# --- customer_get_for -----------------------------------------------------------------------


def test_get_for_returns_a_visible_customer_without_auditing_a_denial(
    agent: User, customers: dict[str, Customer]
) -> None:
    caller = as_caller(agent)
    assert customer_get_for(caller, customers["a"].pk) == customers["a"]
    assert customer_get_for(caller, str(customers["a"].pk)) == customers["a"]
    assert not denials()


def _hidden(customer_id: object, via: str = "page") -> dict[str, str]:
    """The details of the refusal of a record outside the caller's scope, or missing."""
    return {
        "rule": "customers.visible",
        "via": via,
        "resource": f"customers.customer:{customer_id}",
        "why": "outside_scope_or_missing",
    }


def test_hidden_and_missing_customers_raise_the_same_404_and_both_are_audited(
    agent: User, customers: dict[str, Customer]
) -> None:
    hidden_id, missing_id = customers["b"].pk, uuid.uuid4()
    raised = []
    for customer_id in (hidden_id, missing_id):
        with pytest.raises(Http404) as error:
            customer_get_for(as_caller(agent), customer_id)
        raised.append((type(error.value), error.value.args))
    assert raised[0] == raised[1]

    events = denials()
    assert [(e.target_type, e.target_id) for e in events] == [
        ("customers.customer", str(hidden_id)),
        ("customers.customer", str(missing_id)),
    ]
    assert {(e.actor_kind, e.actor_id, e.outcome) for e in events} == {
        ("user", str(agent.pk), "denied")
    }
    # The record says nothing that tells a hidden customer from a missing one.
    assert [e.details for e in events] == [_hidden(hidden_id), _hidden(missing_id)]


@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_people_without_customer_access_get_the_audited_404(
    persona: str, request: pytest.FixtureRequest, customers: dict[str, Customer]
) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(Http404):
        customer_get_for(as_caller(user), customers["a"].pk)
    (event,) = denials()
    assert (event.actor_id, event.target_id) == (str(user.pk), str(customers["a"].pk))
    assert event.details == _hidden(customers["a"].pk)


def test_integrator_without_scope_gets_the_404_audited_against_its_key(
    customers: dict[str, Customer],
) -> None:
    writer = make_integrator("crm.writer", scopes=("customers:write",))
    key = key_of(writer)
    with pytest.raises(Http404):
        customer_get_for(key_caller(writer), customers["a"].pk)
    (event,) = denials()
    assert (event.actor_kind, event.actor_id) == ("api_key", key.prefix)
    assert event.details == _hidden(customers["a"].pk, via="api")


def test_the_system_reaches_no_customer_through_the_scoped_selector(
    customers: dict[str, Customer],
) -> None:
    system = Caller.system("a-task", via=Via.TASK)
    assert not customers_visible_to(system).exists()
    with pytest.raises(Http404):
        customer_get_for(system, customers["a"].pk)
    (event,) = denials()
    assert (event.actor_kind, event.actor_id) == ("system", "a-task")
    assert event.details == _hidden(customers["a"].pk, via="task")


def test_malformed_id_gives_404_and_is_audited(agent: User) -> None:
    with pytest.raises(Http404):
        customer_get_for(as_caller(agent), "not-a-uuid")
    (event,) = denials()
    assert (event.target_type, event.target_id) == ("customers.customer", "malformed")
    assert event.details == _hidden("malformed")
