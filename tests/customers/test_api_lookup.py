"""Search by phone/email/account number (value in the body) and reveal with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from accounts.models import Team, User
from ccplatform.config import Rate
from customers.models import Customer
from tests.customers.api_support import (
    API,
    STORED_CUSTOMER,
    as_key,
    assert_audit_holds_no_personal_values,
    error_of,
    events,
    make_customer,
    signed_in,
)
from tests.personas import Integrator

pytestmark = pytest.mark.django_db

JSON = "application/json"
SEARCH = f"{API}search/"


@pytest.fixture
def customer(team_a: Team) -> Customer:
    return make_customer(team_a)


def _reveal(client: Client, customer: Customer, fields: list[str], **extra: Any) -> Any:
    body = {"fields": fields, "reason": "Caller verification on inbound call", **extra}
    return client.post(f"{API}{customer.pk}/reveal/", body, content_type=JSON)


# --- Search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("phone", "(555) 246-8135"),
        ("email", "PERPETUA.Z@example.NET"),
        ("account_number", "5566-7788-9900"),
    ],
)
def test_search_finds_the_customer_by_an_exact_normalised_value(
    client: Client, agent: User, customer: Customer, kind: str, value: str
) -> None:
    response = signed_in(client, agent).post(
        SEARCH, {"kind": kind, "value": value}, content_type=JSON
    )

    assert response.status_code == 200, response.content
    (found,) = response.json()["results"]
    assert found["id"] == str(customer.pk)
    assert found["name"] == "P••• Z•••"
    (event,) = events("customer.searched")
    assert (event.actor_id, event.details["kind"]) == (str(agent.pk), kind)
    assert event.details["customers"] == [str(customer.pk)]
    assert_audit_holds_no_personal_values()


def test_search_never_finds_customers_outside_the_callers_scope(
    client: Client, other_agent: User, customer: Customer
) -> None:
    response = signed_in(client, other_agent).post(
        SEARCH, {"kind": "phone", "value": "+15552468135"}, content_type=JSON
    )

    assert response.status_code == 200
    assert response.json() == {"results": []}
    assert events("customer.searched")[0].details["results"] == 0


def test_search_by_key_finds_across_teams(
    client: Client, integrator: Integrator, team_b: Team
) -> None:
    customer = make_customer(team_b)

    response = client.post(
        SEARCH,
        {"kind": "email", "value": "perpetua.z@example.net"},
        content_type=JSON,
        headers=as_key(integrator),
    )

    assert [row["id"] for row in response.json()["results"]] == [str(customer.pk)]


def test_search_is_not_available_by_get_so_values_stay_out_of_urls(
    client: Client, agent: User, customer: Customer
) -> None:
    response = signed_in(client, agent).get(f"{SEARCH}?kind=phone&value=%2B15552468135")

    assert response.status_code == 405
    assert not events("customer.searched")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "phone", "value": "not a phone"}, "value"),
        ({"kind": "email", "value": "nobody-at-example"}, "value"),
        ({"kind": "name", "value": "Perpetua"}, "kind"),
        ({"kind": "phone"}, "value"),
        ({"kind": "phone", "value": "+15552468135", "team": "x"}, "team"),
    ],
    ids=["bad-phone", "bad-email", "bad-kind", "no-value", "unknown-field"],
)
def test_bad_search_gets_400_naming_the_field(
    client: Client, agent: User, body: dict[str, Any], field: str
) -> None:
    response = signed_in(client, agent).post(SEARCH, body, content_type=JSON)

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert not events("customer.searched")


# --- Reveal ----------------------------------------------------------------------------------


def test_reveal_returns_only_the_fields_asked_for_and_records_why(
    client: Client, agent: User, customer: Customer
) -> None:
    response = _reveal(signed_in(client, agent), customer, ["name", "phones", "date_of_birth"])

    assert response.status_code == 200, response.content
    assert response.json() == {
        "name": "Perpetua Zwanenburg",
        "phones": ["+15552468135"],
        "date_of_birth": "1971-11-05",
    }
    (event,) = events("customer.revealed")
    assert (event.actor_id, event.target_id) == (str(agent.pk), str(customer.pk))
    assert event.details == {"fields": ["name", "phones", "date_of_birth"]}
    assert event.reason == "Caller verification on inbound call"
    assert_audit_holds_no_personal_values()


def test_revealing_an_unset_field_gives_an_empty_value(
    client: Client, agent: User, team_a: Team
) -> None:
    customer = make_customer(team_a, date_of_birth=None, addresses=[])

    response = _reveal(signed_in(client, agent), customer, ["date_of_birth", "addresses"])

    assert response.json() == {"date_of_birth": "", "addresses": []}


def test_supervisor_reveals_medical_notes(
    client: Client, supervisor: User, customer: Customer
) -> None:
    response = _reveal(signed_in(client, supervisor), customer, ["medical_notes"])

    assert response.status_code == 200
    assert response.json() == {"medical_notes": STORED_CUSTOMER["medical_notes"]}


def test_agent_without_the_medical_permission_gets_403_and_the_refusal_is_audited(
    client: Client, agent: User, customer: Customer
) -> None:
    response = _reveal(signed_in(client, agent), customer, ["name", "medical_notes"])

    assert response.status_code == 403
    assert "Coeliac" not in response.content.decode()
    assert "Perpetua" not in response.content.decode()
    assert error_of(response)["code"] == "forbidden"
    assert not events("customer.revealed")
    (event,) = events("access.denied")
    assert (event.actor_id, event.outcome) == (str(agent.pk), "denied")
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.details == {
        "rule": "customers.reveal_fields",
        "via": "api",
        "resource": f"customers.customer:{customer.pk}",
        "why": "missing_permission:customers.view_medical",
    }


def test_a_key_never_reveals_medical_fields(
    client: Client, integrator: Integrator, customer: Customer
) -> None:
    response = client.post(
        f"{API}{customer.pk}/reveal/",
        {"fields": ["medical_notes"], "reason": "CRM sync check"},
        content_type=JSON,
        headers=as_key(integrator),
    )

    assert response.status_code == 403
    assert not events("customer.revealed")
    (event,) = events("access.denied")
    assert (event.actor_kind, event.actor_id) == ("api_key", integrator.key.partition(".")[0])
    assert (event.details["rule"], event.details["why"]) == (
        "customers.reveal_fields",
        "keys_not_allowed",
    )


def test_a_key_with_read_scope_reveals_other_fields_as_itself(
    client: Client, integrator: Integrator, customer: Customer
) -> None:
    response = client.post(
        f"{API}{customer.pk}/reveal/",
        {"fields": ["emails"], "reason": "CRM sync check"},
        content_type=JSON,
        headers=as_key(integrator),
    )

    assert response.json() == {"emails": ["perpetua.z@example.net"]}
    (event,) = events("customer.revealed")
    assert (event.actor_kind, event.actor_id) == ("api_key", integrator.key.partition(".")[0])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fields": ["name"], "reason": "   "}, "reason"),
        ({"fields": ["name"]}, "reason"),
        ({"fields": [], "reason": "check"}, "fields"),
        ({"fields": ["card_token"], "reason": "check"}, "fields"),
        ({"fields": ["password"], "reason": "check"}, "fields"),
        ({"fields": "name", "reason": "check"}, "fields"),
        ({"fields": ["name"], "reason": "check", "customer": "x"}, "customer"),
    ],
    ids=["blank-reason", "no-reason", "no-fields", "token", "unknown", "not-a-list", "extra"],
)
def test_bad_reveal_requests_get_400_and_reveal_nothing(
    client: Client, agent: User, customer: Customer, body: dict[str, Any], field: str
) -> None:
    response = signed_in(client, agent).post(f"{API}{customer.pk}/reveal/", body, content_type=JSON)

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert "Perpetua" not in response.content.decode()
    assert not events("customer.revealed")


@override_settings(REVEAL_RATE=Rate(2, "day"))
def test_reveals_over_the_rate_get_429_with_retry_after_and_are_audited(
    client: Client, agent: User, customer: Customer
) -> None:
    signed_in(client, agent)
    allowed = [_reveal(client, customer, ["name"]).status_code for _ in range(2)]

    refused = _reveal(client, customer, ["phones"])

    assert allowed == [200, 200]
    assert refused.status_code == 429
    assert error_of(refused)["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 86400
    assert "+1555" not in refused.content.decode()
    assert len(events("customer.revealed")) == 2
    (event,) = events("customer.reveal_refused")
    assert event.details == {"why": "reveal_rate", "fields": ["phones"]}
    assert (event.outcome, event.target_id) == ("denied", str(customer.pk))
    assert not events("access.denied")


@override_settings(REVEAL_RATE=Rate(1, "day"))
def test_the_reveal_allowance_is_per_caller(
    client: Client, agent: User, supervisor: User, customer: Customer
) -> None:
    assert _reveal(signed_in(client, agent), customer, ["name"]).status_code == 200
    assert _reveal(client, customer, ["name"]).status_code == 429

    assert _reveal(signed_in(Client(), supervisor), customer, ["name"]).status_code == 200
