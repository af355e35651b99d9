"""Customer records through the API: list, create, retrieve, update; masked, strict, audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from accounts.models import Team, User
from customers.crypto import CustomerCipher
from customers.models import Customer, CustomerLookup
from customers.services.search import customers_search
from tests.customers.api_support import (
    API,
    NEW_CUSTOMER,
    STORED_CUSTOMER,
    assert_audit_holds_no_personal_values,
    counts,
    error_of,
    events,
    make_customer,
    signed_in,
)
from tests.personas import Integrator, as_caller

pytestmark = pytest.mark.django_db

JSON = "application/json"
CARD = "4111 1111 1111 1111"


def _new(in_team: Team, /, **changes: Any) -> dict[str, Any]:
    return {**NEW_CUSTOMER, "team": str(in_team.pk), **changes}


def _without_medical(in_team: Team, /, **changes: Any) -> dict[str, Any]:
    body = _new(in_team, **changes)
    body.pop("medical_notes")
    return body


# --- List ------------------------------------------------------------------------------------


def test_list_shows_only_the_callers_scope_masked_newest_first(
    client: Client, agent: User, team_a: Team, team_b: Team
) -> None:
    older = make_customer(team_a)
    newer = make_customer(team_a, name="Second Person")
    make_customer(team_b, name="Other Team")

    response = signed_in(client, agent).get(API)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [str(newer.pk), str(older.pk)]
    row = body["results"][1]
    assert row["name"] == "P••• Z•••"
    assert row["phones"] == ["•••• •• 8135"]
    assert row["emails"] == ["p•••@example.net"]
    assert row["card_last4"] == "•••• 1881"
    assert row["account_number"] == "••••9900"
    assert row["date_of_birth"] == "••••-••-••"
    assert "medical_notes" not in row
    assert "card_token" not in row
    assert "Perpetua" not in response.content.decode()
    assert events("customer.listed")[0].details["customers"] == [str(newer.pk), str(older.pk)]


def test_agent_also_sees_customers_assigned_to_them_in_another_team(
    client: Client, agent: User, team_b: Team
) -> None:
    assigned = make_customer(team_b)
    assigned.assigned_to.add(agent)

    response = signed_in(client, agent).get(API)

    assert [row["id"] for row in response.json()["results"]] == [str(assigned.pk)]
    assert signed_in(client, agent).get(f"{API}{assigned.pk}/").status_code == 200


def test_supervisor_sees_medical_fields_masked_in_the_list(
    client: Client, supervisor: User, team_a: Team
) -> None:
    make_customer(team_a)

    response = signed_in(client, supervisor).get(API)

    assert response.json()["results"][0]["medical_notes"] == "••• (hidden)"


def test_list_pages_hold_50_by_default_and_at_most_100(
    client: Client, agent: User, team_a: Team
) -> None:
    for number in range(105):
        make_customer(team_a, name=f"Page Person{number}", phones=[], emails=[])
    signed_in(client, agent)

    default = client.get(API).json()
    capped = client.get(f"{API}?page_size=500").json()
    last = client.get(f"{API}?page_size=100&page=2").json()

    assert default["count"] == 105
    assert len(default["results"]) == 50
    assert len(capped["results"]) == 100
    assert len(last["results"]) == 5
    assert last["next"] is None


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(API)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_a_50_row_page_costs_the_same_queries_as_a_3_row_page(
    client: Client, agent: User, team_a: Team
) -> None:
    for number in range(3):
        make_customer(team_a, name=f"Few Person{number}")
    signed_in(client, agent)
    client.get(API)  # settle per-session writes that happen once
    few = _list_queries(client)
    for number in range(50):
        make_customer(team_a, name=f"Many Person{number}")

    many = _list_queries(client)

    assert many == few


def test_a_50_row_page_runs_a_fixed_number_of_queries(
    client: Client, agent: User, team_a: Team, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(55):
        make_customer(team_a, name=f"Pinned Person{number}")
    signed_in(client, agent)
    client.get(API)

    # session, user, device; the caller's 2 permission lookups and its team ids (each loaded
    # once per request); count and page (data keys and teams joined in); the audit event and
    # the session's activity stamp, each in a savepoint.
    with django_assert_num_queries(14):
        response = client.get(API)

    assert len(response.json()["results"]) == 50


# --- Create ----------------------------------------------------------------------------------


def test_supervisor_creates_a_customer_and_gets_it_masked(
    client: Client, supervisor: User, team_a: Team
) -> None:
    response = signed_in(client, supervisor).post(API, _new(team_a), content_type=JSON)

    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == str(customer.pk)
    assert response["Location"] == f"{API}{customer.pk}/"
    assert body["name"] == "O••• V•••"
    assert body["medical_notes"] == "••• (hidden)"
    assert customer.team == team_a
    assert "Oriel" not in customer.name_enc
    assert CustomerLookup.objects.filter(customer=customer).count() == 3
    (event,) = events("customer.created")
    assert (event.actor_kind, event.actor_id) == ("user", str(supervisor.pk))
    assert event.target_id == str(customer.pk)
    assert event.details["fields"] == sorted(NEW_CUSTOMER)
    assert_audit_holds_no_personal_values()


def test_created_customer_is_found_by_its_phone(client: Client, agent: User, team_a: Team) -> None:
    signed_in(client, agent).post(API, _without_medical(team_a), content_type=JSON)

    found = customers_search(caller=as_caller(agent), kind="phone", value="(555) 867-5309")

    assert [customer.pk for customer in found] == [Customer.objects.get().pk]


def test_agent_cannot_create_in_a_team_that_is_not_theirs(
    client: Client, agent: User, team_b: Team
) -> None:
    before = counts()

    response = signed_in(client, agent).post(API, _without_medical(team_b), content_type=JSON)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"team": ["Choose one of your teams."]}
    assert counts() == before


def test_agent_cannot_set_medical_fields_they_may_not_see(
    client: Client, agent: User, team_a: Team
) -> None:
    before = counts()

    response = signed_in(client, agent).post(API, _new(team_a), content_type=JSON)

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert "thalassaemia" not in response.content.decode()
    (denied,) = events("access.denied")
    assert (denied.actor_id, denied.outcome) == (str(agent.pk), "denied")
    assert (denied.target_type, denied.target_id) == ("customers.customer", "new")
    assert denied.details == {
        "rule": "customers.write_medical",
        "via": "api",
        "resource": "customers.customer:new",
        "why": "missing_permission:customers.view_medical",
    }
    assert counts() == before
    assert not events("customer.created")


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        pytest.param({"phones": ["+1 555 867 5309", "call me"]}, "phones", "Item 2:", id="phone"),
        pytest.param({"emails": ["not-an-email"]}, "emails", "valid email", id="email"),
        pytest.param({"date_of_birth": "1983-02-30"}, "date_of_birth", "format", id="date"),
        pytest.param({"date_of_birth": "2999-01-01"}, "date_of_birth", "future", id="future"),
        pytest.param({"account_number": "12"}, "account_number", "4 to 34", id="account"),
        pytest.param({"card_last4": "42x"}, "card_last4", "last 4", id="last4"),
        pytest.param({"name": ""}, "name", "blank", id="blank-name"),
        pytest.param({"name": None}, "name", "null", id="null-name"),
        pytest.param({"phones": "+1 555 867 5309"}, "phones", "list", id="phones-not-a-list"),
        pytest.param({"addresses": ["x" * 501]}, "addresses", "Item 1:", id="long-address"),
        pytest.param({"team": "not-a-uuid"}, "team", "UUID", id="team"),
    ],
)
def test_malformed_input_gets_400_naming_the_field_and_writes_nothing(
    client: Client,
    supervisor: User,
    team_a: Team,
    changes: dict[str, Any],
    field: str,
    says: str,
) -> None:
    before = counts()

    response = signed_in(client, supervisor).post(API, _new(team_a, **changes), content_type=JSON)

    assert response.status_code == 400, response.content
    error = error_of(response)
    assert list(error["fields"]) == [field]
    assert all(isinstance(message, str) for message in error["fields"][field])
    assert says.casefold() in " ".join(error["fields"][field]).casefold()
    assert counts() == before
    assert not events("customer.created")


@pytest.mark.parametrize(
    "changes",
    [
        {"card_token": CARD},
        {"card_last4": "4111111111111111"},
        {"medical_notes": f"paid with {CARD}"},
        {"addresses": [f"12 Main St {CARD}"]},
        {"name": f"Oriel {CARD.replace(' ', '')}"},
    ],
    ids=["token", "last4", "medical", "address", "name"],
)
def test_a_full_card_number_anywhere_gets_400_and_is_not_stored(
    client: Client, supervisor: User, team_a: Team, changes: dict[str, Any]
) -> None:
    before = counts()

    response = signed_in(client, supervisor).post(API, _new(team_a, **changes), content_type=JSON)

    assert response.status_code == 400
    (field,) = changes
    assert list(error_of(response)["fields"]) == [field]
    assert counts() == before
    assert "1111111111111111" not in response.content.decode().replace(" ", "").replace("-", "")


def test_an_account_number_that_happens_to_pass_luhn_is_accepted(
    client: Client, supervisor: User, team_a: Team
) -> None:
    # Account numbers are their own validated identifier; refusing the one in ten genuine
    # numbers that pass the card checksum would turn real customers away.
    response = signed_in(client, supervisor).post(
        API, _new(team_a, account_number="7992739871300"), content_type=JSON
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"id": "7f0c6a34-1111-4c1e-9a4f-1d2b3c4d5e6f"}, "This field is read-only."),
        ({"created_at": "2020-01-01T00:00:00Z"}, "This field is read-only."),
        ({"assigned_to": []}, "This field is read-only."),
        ({"data_key": "x"}, "This field is read-only."),
        ({"name_enc": "e1.x.y"}, "Unknown field."),
        ({"is_vip": True}, "Unknown field."),
    ],
    ids=["id", "created_at", "assigned_to", "data_key", "name_enc", "is_vip"],
)
def test_unknown_or_read_only_fields_are_refused_by_name(
    client: Client, supervisor: User, team_a: Team, extra: dict[str, Any], message: str
) -> None:
    before = counts()

    response = signed_in(client, supervisor).post(API, _new(team_a, **extra), content_type=JSON)

    assert response.status_code == 400
    (name,) = extra
    assert error_of(response)["fields"] == {name: [message]}
    assert counts() == before


def test_a_body_that_is_not_an_object_gets_400(
    client: Client, supervisor: User, team_a: Team
) -> None:
    response = signed_in(client, supervisor).post(API, [_new(team_a)], content_type=JSON)

    assert response.status_code == 400
    assert "non_field_errors" in error_of(response)["fields"]
    assert not Customer.objects.exists()


def test_malformed_json_gets_400_not_500(client: Client, supervisor: User) -> None:
    response = signed_in(client, supervisor).post(API, "{not json", content_type=JSON)

    assert response.status_code == 400
    assert not Customer.objects.exists()


# --- Retrieve ----------------------------------------------------------------------------------


def test_retrieving_a_customer_is_audited_as_viewed(
    client: Client, agent: User, team_a: Team
) -> None:
    customer = make_customer(team_a)

    response = signed_in(client, agent).get(f"{API}{customer.pk}/")

    assert response.status_code == 200
    (event,) = events("customer.viewed")
    assert (event.actor_id, event.target_id, event.outcome) == (
        str(agent.pk),
        str(customer.pk),
        "allowed",
    )
    assert_audit_holds_no_personal_values()


# --- Update ----------------------------------------------------------------------------------


def test_agent_updates_some_fields_and_search_follows_the_new_phone(
    client: Client, agent: User, team_a: Team
) -> None:
    customer = make_customer(team_a)

    response = signed_in(client, agent).patch(
        f"{API}{customer.pk}/",
        {"phones": ["+1 555 777 0101"], "date_of_birth": None},
        content_type=JSON,
    )

    assert response.status_code == 200, response.content
    assert response.json()["phones"] == ["•••• •• 0101"]
    assert response.json()["date_of_birth"] == ""
    assert response.json()["name"] == "P••• Z•••"
    caller = as_caller(agent)
    assert customers_search(caller=caller, kind="phone", value="+15557770101") == [customer]
    assert not customers_search(caller=caller, kind="phone", value="+15552468135")
    (event,) = events("customer.updated")
    assert (event.actor_id, event.target_id) == (str(agent.pk), str(customer.pk))
    assert event.details == {"fields": ["date_of_birth", "phones"]}
    assert_audit_holds_no_personal_values("5557770101")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"team": "7f0c6a34-1111-4c1e-9a4f-1d2b3c4d5e6f"}, "team", "This field is read-only."),
        ({"id": "7f0c6a34-1111-4c1e-9a4f-1d2b3c4d5e6f"}, "id", "This field is read-only."),
        ({"phones_enc": "e1.x.y"}, "phones_enc", "Unknown field."),
    ],
)
def test_update_refuses_fields_it_does_not_own(
    client: Client, agent: User, team_a: Team, body: dict[str, Any], field: str, message: str
) -> None:
    customer = make_customer(team_a)
    stored = Customer.objects.values().get(pk=customer.pk)

    response = signed_in(client, agent).patch(f"{API}{customer.pk}/", body, content_type=JSON)

    assert response.status_code == 400
    assert error_of(response)["fields"] == {field: [message]}
    assert Customer.objects.values().get(pk=customer.pk) == stored
    assert not events("customer.updated")


def test_update_with_a_bad_email_changes_nothing(client: Client, agent: User, team_a: Team) -> None:
    customer = make_customer(team_a)
    stored = Customer.objects.values().get(pk=customer.pk)

    response = signed_in(client, agent).patch(
        f"{API}{customer.pk}/",
        {"name": "Renamed Person", "emails": ["nope"]},
        content_type=JSON,
    )

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["emails"]
    assert Customer.objects.values().get(pk=customer.pk) == stored


def test_agent_cannot_update_medical_fields_but_a_supervisor_can(
    client: Client, agent: User, supervisor: User, team_a: Team
) -> None:
    customer = make_customer(team_a)
    url = f"{API}{customer.pk}/"

    refused = signed_in(client, agent).patch(url, {"medical_notes": ""}, content_type=JSON)
    allowed = signed_in(Client(), supervisor).patch(
        url, {"medical_notes": "Lactose intolerant"}, content_type=JSON
    )

    assert refused.status_code == 403
    assert error_of(refused)["code"] == "forbidden"
    (denied,) = events("access.denied")
    assert (denied.actor_id, denied.target_id) == (str(agent.pk), str(customer.pk))
    assert (denied.details["rule"], denied.details["why"]) == (
        "customers.write_medical",
        "missing_permission:customers.view_medical",
    )
    assert allowed.status_code == 200, allowed.content
    customer.refresh_from_db()
    assert CustomerCipher(customer).decrypt("medical_notes") == "Lactose intolerant"
    assert [event.actor_id for event in events("customer.updated")] == [str(supervisor.pk)]


def test_an_empty_update_gets_400_saying_nothing_to_change(
    client: Client, agent: User, team_a: Team
) -> None:
    customer = make_customer(team_a)

    response = signed_in(client, agent).patch(f"{API}{customer.pk}/", {}, content_type=JSON)

    assert response.status_code == 400
    assert error_of(response)["message"] == "Nothing to change."


def test_update_by_a_read_only_key_gets_403(
    client: Client, team_a: Team, integrator: Integrator
) -> None:
    customer = make_customer(team_a)

    response = client.patch(
        f"{API}{customer.pk}/",
        {"name": "Key Renamed"},
        content_type=JSON,
        headers={"Authorization": f"Api-Key {integrator.key}"},
    )

    assert response.status_code == 403
    (denied,) = events("access.denied")
    assert denied.details == {
        "rule": "customers.update",
        "via": "api",
        "resource": f"PATCH {API}{customer.pk}/",
        "why": "missing_scope:customers:write",
    }
    assert not events("customer.updated")
    customer.refresh_from_db()
    assert CustomerCipher(customer).decrypt("name") == STORED_CUSTOMER["name"]
