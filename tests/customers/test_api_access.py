"""Who reaches customers through the API: need-to-know per persona, scopes per API key."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from accounts.models import Team, User
from audit.models import AuditEvent
from customers.api.permissions import (
    CustomerRecordAccess,
    CustomersCreate,
    CustomersRead,
    CustomersUpdate,
)
from customers.api.views import CustomerApi, CustomersApi
from customers.api.views.common import SharedUrl
from customers.api.views.records import (
    CustomerCreateApi,
    CustomerListApi,
    CustomerRetrieveApi,
    CustomerUpdateApi,
)
from customers.models import Customer
from tests.customers.api_support import (
    API,
    NEW_CUSTOMER,
    as_key,
    error_of,
    events,
    make_customer,
    signed_in,
)
from tests.personas import Integrator, make_integrator

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(team_a: Team) -> Customer:
    return make_customer(team_a)


def hidden_record_denials() -> list[AuditEvent]:
    """Refusals of a record outside the caller's scope (or missing): the audited 404."""
    return [
        event for event in events("access.denied") if event.details["rule"] == "customers.visible"
    ]


def _new(team: Team, **changes: Any) -> dict[str, Any]:
    values = {key: value for key, value in NEW_CUSTOMER.items() if key != "medical_notes"}
    return {**values, "team": str(team.pk), **changes}


# --- People --------------------------------------------------------------------------------------


def test_agent_in_the_customers_team_gets_the_masked_record(
    client: Client, agent: User, customer: Customer
) -> None:
    response = signed_in(client, agent).get(f"{API}{customer.pk}/")

    assert response.status_code == 200
    assert response.json()["id"] == str(customer.pk)
    assert response.json()["name"] == "P••• Z•••"


def test_supervisor_of_the_team_gets_the_record_with_medical_fields(
    client: Client, supervisor: User, customer: Customer
) -> None:
    response = signed_in(client, supervisor).get(f"{API}{customer.pk}/")

    assert response.status_code == 200
    assert response.json()["medical_notes"] == "••• (hidden)"


def test_agent_outside_team_gets_the_same_404_as_a_missing_id_and_is_audited(
    client: Client, other_agent: User, customer: Customer
) -> None:
    signed_in(client, other_agent)

    hidden = client.get(f"{API}{customer.pk}/")
    missing = client.get(f"{API}{uuid.uuid4()}/")

    assert hidden.status_code == missing.status_code == 404
    assert error_of(hidden) == error_of(missing)
    not_found = {"code": "not_found", "message": "Nothing was found at this address."}
    assert error_of(hidden) == not_found
    assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")
    denied = events("access.denied")
    assert [(event.actor_id, event.outcome) for event in denied] == [
        (str(other_agent.pk), "denied"),
        (str(other_agent.pk), "denied"),
    ]
    assert (denied[0].target_type, denied[0].target_id) == ("customers.customer", str(customer.pk))
    assert denied[0].details == {
        "rule": "customers.visible",
        "via": "api",
        "resource": f"customers.customer:{customer.pk}",
        "why": "outside_scope_or_missing",
    }
    assert not events("customer.viewed")


@pytest.mark.parametrize("suffix", ["", "notes/", "interactions/"])
def test_agent_outside_team_gets_404_on_every_record_read(
    client: Client, other_agent: User, customer: Customer, suffix: str
) -> None:
    response = signed_in(client, other_agent).get(f"{API}{customer.pk}/{suffix}")

    assert response.status_code == 404
    assert len(hidden_record_denials()) == 1
    assert len(events("access.denied")) == 1


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"name": "Someone Else"}),
        ("post", "reveal/", {"fields": ["name"], "reason": "curious"}),
        ("post", "notes/", {"body": "hello"}),
        ("post", "interactions/", {"channel": "call", "outcome": "resolved"}),
    ],
)
def test_agent_outside_team_cannot_write_or_reveal_and_gets_404(
    client: Client,
    other_agent: User,
    customer: Customer,
    method: str,
    suffix: str,
    body: dict[str, Any],
) -> None:
    call = getattr(signed_in(client, other_agent), method)

    response = call(f"{API}{customer.pk}/{suffix}", body, content_type="application/json")

    assert response.status_code == 404
    assert len(hidden_record_denials()) == 1
    assert len(events("access.denied")) == 1
    assert not events("customer.updated") + events("customer.revealed")
    assert not customer.notes.exists()
    assert not customer.interactions.exists()


@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_compliance_and_security_get_403_on_the_list_and_404_on_a_record(
    client: Client, customer: Customer, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    signed_in(client, user)

    listing = client.get(API)
    record = client.get(f"{API}{customer.pk}/")

    assert listing.status_code == 403
    assert error_of(listing)["code"] == "forbidden"
    assert record.status_code == 404
    assert error_of(record)["code"] == "not_found"
    listed, opened = events("access.denied")
    assert listed.details == {
        "rule": "customers.view",
        "via": "api",
        "resource": f"GET {API}",
        "why": "missing_permission:customers.view_customer",
    }
    assert (listed.target_type, listed.target_id) == ("api", f"GET {API}")
    assert opened.details["rule"] == "customers.visible"
    assert (opened.actor_id, opened.target_id) == (str(user.pk), str(customer.pk))


@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_compliance_and_security_cannot_create_customers(
    client: Client, team_a: Team, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)

    response = signed_in(client, user).post(API, _new(team_a), content_type="application/json")

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    (denied,) = events("access.denied")
    assert denied.details == {
        "rule": "customers.create",
        "via": "api",
        "resource": f"POST {API}",
        "why": "missing_permission:customers.add_customer",
    }
    assert not Customer.objects.exists()


def test_without_signing_in_the_api_answers_401(client: Client, customer: Customer) -> None:
    assert client.get(API).status_code == 401
    assert client.get(f"{API}{customer.pk}/").status_code == 401
    response = client.post(f"{API}search/", {"kind": "phone", "value": "+15552468135"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_a_session_without_the_second_factor_is_not_signed_in(
    client: Client, agent: User, customer: Customer
) -> None:
    client.force_login(agent)  # password step only

    assert client.get(f"{API}{customer.pk}/").status_code == 401


# --- Integrator keys -------------------------------------------------------------------------


def test_key_with_read_scope_lists_and_reads_without_medical_fields(
    client: Client, integrator: Integrator, customer: Customer
) -> None:
    listing = client.get(API, headers=as_key(integrator))
    record = client.get(f"{API}{customer.pk}/", headers=as_key(integrator))

    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [str(customer.pk)]
    assert record.status_code == 200
    assert "medical_notes" not in record.json()
    assert "medical_notes" not in listing.json()["results"][0]
    viewed = events("customer.viewed")
    assert [(event.actor_kind, event.actor_id) for event in viewed] == [
        ("api_key", integrator.key.partition(".")[0])
    ]


def test_key_with_read_scope_only_cannot_create(
    client: Client, integrator: Integrator, team_a: Team
) -> None:
    response = client.post(
        API, _new(team_a), content_type="application/json", headers=as_key(integrator)
    )

    assert response.status_code == 403
    assert [event.details["why"] for event in events("access.denied")] == [
        "missing_scope:customers:write"
    ]
    assert not Customer.objects.exists()


def test_key_without_customer_scopes_gets_403_on_the_list_and_404_on_a_record(
    client: Client, customer: Customer
) -> None:
    bare = make_integrator("audit.feed", scopes=("audit:read",))

    listing = client.get(API, headers=as_key(bare))
    record = client.get(f"{API}{customer.pk}/", headers=as_key(bare))

    assert listing.status_code == 403
    assert record.status_code == 404
    assert [event.details["why"] for event in events("access.denied")] == [
        "missing_scope:customers:read",
        "outside_scope_or_missing",
    ]
    assert len(hidden_record_denials()) == 1


def test_key_with_write_scope_creates_in_any_team_as_its_service_account(
    client: Client, team_b: Team
) -> None:
    writer = make_integrator("crm.push", scopes=("customers:read", "customers:write"))

    response = client.post(
        API,
        {**NEW_CUSTOMER, "team": str(team_b.pk)},
        content_type="application/json",
        headers=as_key(writer),
    )

    assert response.status_code == 201, response.content
    assert "medical_notes" not in response.json()  # pushed, never shown back to a key
    created = events("customer.created")
    assert [(event.actor_kind, event.actor_id) for event in created] == [
        ("api_key", writer.key.partition(".")[0])
    ]
    assert Customer.objects.get().team == team_b


def test_write_only_key_creates_but_cannot_reach_records(
    client: Client, team_a: Team, customer: Customer
) -> None:
    writer = make_integrator("crm.drop", scopes=("customers:write",))

    created = client.post(
        API, _new(team_a), content_type="application/json", headers=as_key(writer)
    )
    patched = client.patch(
        f"{API}{customer.pk}/",
        {"name": "New Name"},
        content_type="application/json",
        headers=as_key(writer),
    )

    assert created.status_code == 201
    assert patched.status_code == 404
    assert not events("customer.updated")


# --- Declared permissions ------------------------------------------------------------------


def test_each_operation_of_a_shared_url_keeps_its_own_permission_classes() -> None:
    assert CustomersApi.__bases__ == (SharedUrl, CustomerListApi, CustomerCreateApi)
    assert CustomerApi.__bases__ == (SharedUrl, CustomerRetrieveApi, CustomerUpdateApi)
    assert CustomerListApi.permission_classes == [CustomersRead]
    assert CustomerCreateApi.permission_classes == [CustomersCreate]
    assert CustomerRetrieveApi.permission_classes == [CustomerRecordAccess]
    assert CustomerUpdateApi.permission_classes == [CustomersUpdate]
    rules = [
        permission.rule  # type: ignore[attr-defined]
        for permission in (CustomersRead, CustomersCreate, CustomerRecordAccess, CustomersUpdate)
    ]
    assert rules == [
        "customers.view",
        "customers.create",
        "customers.open_record",
        "customers.update",
    ]


def test_a_method_no_operation_serves_gets_405_listing_the_allowed_ones(
    client: Client, agent: User, customer: Customer
) -> None:
    response = signed_in(client, agent).delete(f"{API}{customer.pk}/")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert set(response["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_a_person_is_audited_as_their_user_and_a_page_as_the_ids_shown(
    client: Client, agent: User, customer: Customer
) -> None:
    response = signed_in(client, agent).get(API)

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="customer.listed")
    assert (event.actor_kind, event.actor_id) == ("user", str(agent.pk))
    assert event.details == {"customers": [str(customer.pk)], "page": 1}
