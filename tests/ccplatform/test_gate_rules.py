"""The predicates' building blocks (ccplatform.permissions) and a requirement on plain-text
personal data reaching the page, the API and the service alike."""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from django.template import Context, Template
from django.test import Client

from accounts.callers import caller_for_person
from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.callers import Caller, Via
from ccplatform.errors import AccessDeniedError
from ccplatform.permissions import (
    ALLOWED,
    ANY,
    Abilities,
    Decision,
    Level,
    UnknownRuleError,
    any_of,
    check,
    declared_rules,
    deny,
    first_refusal,
    requirement,
)
from ccplatform.scopes import Scope
from customers.models import Customer
from customers.permissions import can_reveal, can_view_customers
from customers.services.records import customer_create, customer_reveal
from tests.personas import SETUP, Integrator, key_caller, login_verified

SYSTEM = Caller.system("rules-test")
NOBODY = Caller.anonymous()


pytestmark = pytest.mark.django_db


def test_a_refusal_is_falsy_and_says_its_rule_and_why() -> None:
    assert ALLOWED
    refused = deny("missing_permission:x", "No.").under("customers.reveal")
    assert not refused
    assert (refused.rule, refused.why, refused.message) == (
        "customers.reveal",
        "missing_permission:x",
        "No.",
    )


def test_first_refusal_needs_all_and_any_of_needs_one() -> None:
    a, b = deny("a"), deny("b")
    assert first_refusal(ALLOWED, a, b) is a
    assert first_refusal(ALLOWED, ALLOWED) is ALLOWED
    assert any_of(a, ALLOWED) is ALLOWED
    assert any_of(a, b) is b  # the last refusal: the narrower rule


def test_check_answers_each_kind_of_caller(agent: User, integrator: Integrator) -> None:
    person, key = caller_for_person(agent, via=Via.PAGE), key_caller(integrator)
    assert check(NOBODY, person=ANY, key=ANY).why == "not_signed_in"
    assert check(SYSTEM, person=ANY).why == "not_for_the_system"
    assert check(SYSTEM, system=True)
    assert check(person, key=ANY).why == "people_not_allowed"
    assert check(person, person="customers.reveal_customer")
    assert check(person, person="audit.view_auditevent").why == (
        "missing_permission:audit.view_auditevent"
    )
    assert check(key, person=ANY).why == "keys_not_allowed"
    assert check(key, key=Scope.CUSTOMERS_READ)
    assert check(key, key=Scope.AUDIT_READ).why == "missing_scope:audit:read"


def test_an_unknown_scope_in_a_rule_is_an_error_not_a_refusal(integrator: Integrator) -> None:
    with pytest.raises(ValueError, match="customers:raed"):
        check(key_caller(integrator), key="customers:raed")


def test_a_named_rule_stamps_its_name_on_a_refusal_it_did_not_make_itself(agent: User) -> None:
    nobody = can_reveal(NOBODY)
    assert (nobody.rule, nobody.why) == ("customers.reveal", "not_signed_in")
    assert can_reveal(caller_for_person(agent, via=Via.PAGE))
    assert "customers.reveal" in declared_rules()


def test_templates_ask_the_predicates_and_a_misspelt_rule_is_loud(agent: User) -> None:
    can = Abilities(caller_for_person(agent, via=Via.PAGE))
    page = Template(
        "{% if can.customers.reveal %}yes{% endif %}|{% if can.audit.verify %}no{% endif %}"
    )
    assert page.render(Context({"can": can})) == "yes|"
    with pytest.raises(UnknownRuleError):
        Template("{% if can.customers.reveel %}x{% endif %}").render(Context({"can": can}))


# --- A requirement on plain-text personal data ----------------------------------------------

OVERDUE = "Your privacy training is overdue: customer data stays masked until you complete it."


def _training_overdue_for(user: User) -> AbstractContextManager[None]:
    def overdue(caller: Caller) -> Decision:
        return deny("training_overdue", OVERDUE) if caller.user_id == user.pk else ALLOWED

    return requirement(Level.PERSONAL_DATA, "test.training_overdue", overdue)


@pytest.fixture
def customer_id(team_a: Team) -> str:
    created = customer_create(caller=SETUP, team_id=team_a.pk, values={"name": "Ada Example"})
    return str(created.pk)


def test_a_personal_data_requirement_refuses_reveal_everywhere_but_leaves_masked_reads(
    agent: User, customer_id: str
) -> None:
    client = login_verified(Client(), agent)
    person = caller_for_person(agent, via=Via.PAGE)
    with _training_overdue_for(agent):
        assert can_view_customers(person)  # masked reads stay
        assert client.get(f"/workspace/customers/{customer_id}/").status_code == 200
        api = client.get(f"/api/v1/customers/{customer_id}/")
        assert api.status_code == 200
        page = client.post(
            f"/workspace/customers/{customer_id}/reveal/", {"field": "name", "reason": "Call"}
        )
        assert page.status_code == 403
        assert OVERDUE in page.content.decode()
        revealed = client.post(
            f"/api/v1/customers/{customer_id}/reveal/",
            {"fields": ["name"], "reason": "Call"},
            content_type="application/json",
        )
        assert revealed.status_code == 403
        assert revealed.json()["error"]["message"] == OVERDUE
        customer = Customer.objects.get(pk=customer_id)
        with pytest.raises(AccessDeniedError):
            customer_reveal(caller=person, customer=customer, fields=["name"], reason="x")
    assert not AuditEvent.objects.filter(action="customer.revealed").exists()
    refusals = AuditEvent.objects.filter(action="access.denied", details__why="training_overdue")
    assert {event.details["via"] for event in refusals} == {"page", "api"}
    assert refusals.count() == 3
    # Without the requirement the same reveal goes through.
    assert (
        client.post(
            f"/workspace/customers/{customer_id}/reveal/", {"field": "name", "reason": "Call"}
        ).status_code
        == 200
    )
