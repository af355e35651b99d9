"""Sealing customers: nothing of a sealed record is revealed, by the service, the page or the
API, until it is released; only the system seals (an incident's containment), and each call
records one event with the ids it changed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role, Team, User
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.errors import AccessDeniedError, ServiceError
from customers.models import Customer
from customers.services.notes import customer_note_add
from customers.services.records import customer_create, customer_reveal
from customers.services.sealing import customers_release, customers_seal
from tests.personas import SETUP, Integrator, as_caller, key_caller, login_verified, make_person

pytestmark = pytest.mark.django_db

CONTAINMENT = Caller.system("incident INC-2026-0007 containment")
WHY = "incident INC-2026-0007"
NAME = "Saoirse Vandermeer"
SEALED_MESSAGE = f"This record is sealed ({WHY}); nothing is revealed until it is released."


@pytest.fixture
def customer(team_a: Team) -> Customer:
    return customer_create(caller=SETUP, team_id=team_a.pk, values={"name": NAME})


@pytest.fixture
def sealed(customer: Customer) -> Customer:
    assert customers_seal(caller=CONTAINMENT, customer_ids=[customer.pk], why=WHY) == 1
    customer.refresh_from_db()
    return customer


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _reveal(user: User, customer: Customer) -> dict[str, Any]:
    return customer_reveal(
        caller=as_caller(user), customer=customer, fields=["name"], reason="caller asked"
    )


def _sealed_refusal(user: User, customer: Customer, via: str) -> None:
    (denied,) = _events("access.denied")
    assert (denied.actor_id, denied.outcome) == (str(user.pk), "denied")
    assert (denied.target_type, denied.target_id) == ("customers.customer", str(customer.pk))
    assert denied.details == {
        "rule": "customers.reveal_record",
        "via": via,
        "resource": f"customers.customer:{customer.pk}",
        "why": "sealed",
    }
    assert _events("customer.revealed") == []


# --- A sealed record reveals nothing ---------------------------------------------------------


def test_the_service_refuses_to_reveal_a_sealed_customer_and_records_why(
    agent: User, sealed: Customer
) -> None:
    assert sealed.sealed_at is not None
    assert sealed.sealed_by == WHY

    with pytest.raises(AccessDeniedError) as refused:
        _reveal(agent, sealed)

    assert refused.value.status == 403
    assert refused.value.message == SEALED_MESSAGE
    _sealed_refusal(agent, sealed, "page")


def test_even_a_supervisor_with_every_field_permission_is_refused(
    supervisor: User, sealed: Customer
) -> None:
    with pytest.raises(AccessDeniedError):
        customer_reveal(
            caller=as_caller(supervisor),
            customer=sealed,
            fields=["name", "medical_notes"],
            reason="caller asked",
        )
    _sealed_refusal(supervisor, sealed, "page")


def test_the_reveal_page_answers_403_with_the_seal_and_shows_no_value(
    client: Client, agent: User, sealed: Customer
) -> None:
    response = login_verified(client, agent).post(
        f"/workspace/customers/{sealed.pk}/reveal/", {"field": "name", "reason": "caller asked"}
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert NAME not in html
    assert "sealed" in html
    _sealed_refusal(agent, sealed, "page")


def test_the_reveal_api_answers_403_forbidden_and_shows_no_value(
    client: Client, agent: User, sealed: Customer
) -> None:
    response = login_verified(client, agent).post(
        f"/api/v1/customers/{sealed.pk}/reveal/",
        {"fields": ["name"], "reason": "caller asked"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert NAME not in response.content.decode()
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("forbidden", SEALED_MESSAGE)
    _sealed_refusal(agent, sealed, "api")


def test_an_integrator_key_is_refused_alike(
    client: Client, integrator: Integrator, sealed: Customer
) -> None:
    response = client.post(
        f"/api/v1/customers/{sealed.pk}/reveal/",
        {"fields": ["emails"], "reason": "CRM sync check"},
        content_type="application/json",
        headers={"Authorization": f"Api-Key {integrator.key}"},
    )

    assert response.status_code == 403
    (denied,) = _events("access.denied")
    assert (denied.actor_kind, denied.details["rule"], denied.details["why"]) == (
        "api_key",
        "customers.reveal_record",
        "sealed",
    )


def test_a_sealed_customers_notes_are_not_shown_in_plain_text(
    client: Client, agent: User, customer: Customer
) -> None:
    customer_note_add(caller=as_caller(agent), customer=customer, body="Moved to Leitrim in May")
    customers_seal(caller=CONTAINMENT, customer_ids=[customer.pk], why=WHY)

    response = login_verified(client, agent).get(f"/api/v1/customers/{customer.pk}/notes/")

    assert "Leitrim" not in response.content.decode()


# --- Release ---------------------------------------------------------------------------------


def test_release_makes_reveal_work_again(agent: User, sealed: Customer) -> None:
    assert customers_release(caller=CONTAINMENT, customer_ids=[sealed.pk], why="contained") == 1
    sealed.refresh_from_db()
    assert (sealed.sealed_at, sealed.sealed_by) == (None, "")

    assert _reveal(agent, sealed) == {"name": NAME}

    (released,) = _events("customers.released")
    assert (released.actor_kind, released.actor_id) == ("system", CONTAINMENT.actor.id)
    assert released.reason == "contained"
    assert released.details == {"released": [str(sealed.pk)], "asked": 1}
    assert [event.target_id for event in _events("customer.revealed")] == [str(sealed.pk)]


def test_releasing_a_customer_that_is_not_sealed_changes_nothing(customer: Customer) -> None:
    assert customers_release(caller=CONTAINMENT, customer_ids=[customer.pk], why="contained") == 0
    (released,) = _events("customers.released")
    assert released.details == {"released": [], "asked": 1}


# --- Only the system seals --------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.AGENT, Role.SUPERVISOR, Role.COMPLIANCE_OFFICER, Role.SECURITY_ADMIN]
)
@pytest.mark.parametrize("release", [False, True], ids=["seal", "release"])
def test_no_person_seals_or_releases_whatever_their_role(
    team_a: Team, customer: Customer, role: Role, release: bool
) -> None:
    person = make_person("some.one", role, team_a)
    change, what = (customers_release, "release") if release else (customers_seal, "seal")

    with pytest.raises(AccessDeniedError) as refused:
        change(caller=as_caller(person), customer_ids=[customer.pk], why=WHY)

    assert refused.value.status == 403
    (denied,) = _events("access.denied")
    assert (denied.actor_id, denied.target_type, denied.target_id) == (
        str(person.pk),
        "customers.customer",
        what,
    )
    assert denied.details == {
        "rule": "customers.seal",
        "via": "page",
        "resource": f"customers.customer:{what}",
        "why": "people_not_allowed",
    }
    assert _events("customers.sealed") == _events("customers.released") == []
    customer.refresh_from_db()
    assert customer.sealed_at is None


def test_an_integrator_key_cannot_seal(integrator: Integrator, customer: Customer) -> None:
    with pytest.raises(AccessDeniedError):
        customers_seal(caller=key_caller(integrator), customer_ids=[customer.pk], why=WHY)
    (denied,) = _events("access.denied")
    assert (denied.details["rule"], denied.details["why"]) == ("customers.seal", "keys_not_allowed")


def test_a_person_refused_sealing_is_not_sent_to_api_keys(
    compliance_officer: User, customer: Customer
) -> None:
    with pytest.raises(AccessDeniedError) as refused:
        customers_seal(caller=as_caller(compliance_officer), customer_ids=[customer.pk], why=WHY)
    assert "API key" not in refused.value.message


# --- Bad input: a field error, nothing written -----------------------------------------------


@pytest.mark.parametrize("release", [False, True], ids=["seal", "release"])
@pytest.mark.parametrize(
    ("ids", "why", "field"),
    [
        (["not-a-customer-id"], WHY, "customers"),
        ([12345, "also bad"], WHY, "customers"),
        (None, "", "why"),
        (None, "   ", "why"),
    ],
    ids=["malformed-id", "numbers", "empty-why", "blank-why"],
)
def test_bad_ids_and_an_empty_why_are_field_errors(
    customer: Customer, ids: list[Any] | None, why: str, field: str, release: bool
) -> None:
    change = customers_release if release else customers_seal

    with pytest.raises(ServiceError) as error:
        change(caller=CONTAINMENT, customer_ids=ids or [customer.pk], why=why)

    assert error.value.status == 400
    assert list(error.value.fields) == [field]
    assert not AuditEvent.objects.filter(action__in=["customers.sealed", "customers.released"])
    customer.refresh_from_db()
    assert customer.sealed_at is None


# --- The audit event --------------------------------------------------------------------------


def test_the_sealed_event_lists_the_ids_sealed_and_skips_those_already_sealed(
    team_a: Team, sealed: Customer
) -> None:
    others = [
        customer_create(caller=SETUP, team_id=team_a.pk, values={"name": f"Other Person {n}"})
        for n in range(2)
    ]
    # One of them twice, once as a UUID and once as text: asked counts customers, not ids.
    asked: list[uuid.UUID | str] = [sealed.pk, *(o.pk for o in others), str(others[0].pk)]

    assert customers_seal(caller=CONTAINMENT, customer_ids=asked, why="incident INC-2026-0008") == 2

    first, second = _events("customers.sealed")
    assert first.details == {"sealed": [str(sealed.pk)], "asked": 1}
    assert second.details == {"sealed": sorted(str(other.pk) for other in others), "asked": 3}
    assert (second.actor_kind, second.actor_id) == ("system", CONTAINMENT.actor.id)
    assert (second.target_type, second.target_id, second.outcome) == ("", "", "allowed")
    assert second.reason == "incident INC-2026-0008"
    sealed.refresh_from_db()
    assert sealed.sealed_by == WHY  # the first seal is kept, with its reason
    assert {c.sealed_by for c in Customer.objects.filter(pk__in=[o.pk for o in others])} == {
        "incident INC-2026-0008"
    }
    assert NAME not in str(second.details)


def test_a_long_why_is_kept_to_the_columns_length(customer: Customer) -> None:
    customers_seal(caller=CONTAINMENT, customer_ids=[customer.pk], why="x" * 300)
    customer.refresh_from_db()
    assert customer.sealed_by == "x" * 100
