"""Notes and interactions under a customer: added through the services, read back audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Team, User
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, Note
from customers.selectors import NOTE_TABLE
from tests.customers.api_support import (
    API,
    as_key,
    assert_audit_holds_no_personal_values,
    counts,
    error_of,
    events,
    make_customer,
    signed_in,
)
from tests.personas import Integrator, make_integrator

pytestmark = pytest.mark.django_db

JSON = "application/json"
NOTE = "Asked about the Tuesday delivery window; prefers calls after 5pm."


@pytest.fixture
def customer(team_a: Team) -> Customer:
    return make_customer(team_a)


def _notes(customer: Customer) -> str:
    return f"{API}{customer.pk}/notes/"


def _interactions(customer: Customer) -> str:
    return f"{API}{customer.pk}/interactions/"


# --- Notes -----------------------------------------------------------------------------------


def test_agent_adds_a_note_and_reads_it_back(
    client: Client, agent: User, customer: Customer
) -> None:
    signed_in(client, agent)

    added = client.post(_notes(customer), {"body": NOTE}, content_type=JSON)
    listed = client.get(_notes(customer))

    assert added.status_code == 201, added.content
    assert added.json()["body"] == NOTE
    assert added.json()["author"] == agent.username
    note = Note.objects.get()
    assert NOTE not in note.body_enc
    assert listed.status_code == 200
    assert listed.json()["results"] == [added.json()]
    (add_event,) = events("customer.note_added")
    assert (add_event.actor_id, add_event.target_id) == (str(agent.pk), str(customer.pk))
    assert add_event.details == {"note": str(note.pk)}
    (view_event,) = events("customer.notes_viewed")
    assert (view_event.actor_id, view_event.target_id) == (str(agent.pk), str(customer.pk))
    assert view_event.details == {"notes": [str(note.pk)]}
    assert_audit_holds_no_personal_values("Tuesday delivery")


def test_a_card_number_in_a_note_is_masked_before_saving_and_recorded(
    client: Client, agent: User, customer: Customer
) -> None:
    body = "Customer read out 4111-1111-1111-1111 exp 12/27 cvv 123 by mistake"

    response = signed_in(client, agent).post(_notes(customer), {"body": body}, content_type=JSON)

    assert response.status_code == 201
    stored = response.json()["body"]
    assert "4111-1111-1111-1111" not in stored
    assert "•••• 1111" in stored
    assert "123" not in stored
    assert client.get(_notes(customer)).json()["results"][0]["body"] == stored
    (event,) = events("customer.card_data_redacted")
    assert event.details["cards"] == 1
    assert event.details["where"] == "note"
    assert_audit_holds_no_personal_values("4111111111111111", "4111-1111")


def test_a_card_number_left_in_an_old_note_is_masked_on_the_way_out(
    client: Client, agent: User, customer: Customer
) -> None:
    # As if saved before the current scanner and not yet rescanned.
    note = Note(customer=customer, author=agent)
    note.body_enc = CustomerCipher(customer).seal(
        NOTE_TABLE, "body", note.pk, "old note with 4111 1111 1111 1111 in it"
    )
    note.save(force_insert=True)

    response = signed_in(client, agent).get(_notes(customer))

    assert response.json()["results"][0]["body"] == "old note with •••• 1111 in it"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "fine", "author": "someone"}, "author"),
        ({"body": "fine", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
    ids=["empty", "blank", "missing", "too-long", "author", "created_at"],
)
def test_bad_notes_get_400_and_nothing_is_written(
    client: Client, agent: User, customer: Customer, body: dict[str, Any], field: str
) -> None:
    before = counts()

    response = signed_in(client, agent).post(_notes(customer), body, content_type=JSON)

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert counts() == before
    assert not events("customer.note_added")


def test_a_key_adds_notes_as_its_service_account(client: Client, customer: Customer) -> None:
    writer = make_integrator("crm.notes", scopes=("customers:read", "customers:write"))

    response = client.post(
        _notes(customer), {"body": NOTE}, content_type=JSON, headers=as_key(writer)
    )

    assert response.status_code == 201
    assert Note.objects.get().author == writer.user
    (event,) = events("customer.note_added")
    assert (event.actor_kind, event.actor_id) == ("api_key", writer.key.partition(".")[0])


def test_a_read_only_key_reads_notes_but_cannot_add_them(
    client: Client, integrator: Integrator, customer: Customer
) -> None:
    read = client.get(_notes(customer), headers=as_key(integrator))
    write = client.post(
        _notes(customer), {"body": NOTE}, content_type=JSON, headers=as_key(integrator)
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert error_of(write)["code"] == "forbidden"
    (denied,) = events("access.denied")
    assert (denied.actor_kind, denied.actor_id) == ("api_key", integrator.key.partition(".")[0])
    assert denied.details == {
        "rule": "customers.add_note",
        "via": "api",
        "resource": f"POST {_notes(customer)}",
        "why": "missing_scope:customers:write",
    }
    assert not Note.objects.exists()


def test_notes_listing_honours_its_limit_and_refuses_a_bad_one(
    client: Client, agent: User, customer: Customer
) -> None:
    signed_in(client, agent)
    for number in range(3):
        client.post(_notes(customer), {"body": f"note number {number}"}, content_type=JSON)

    two = client.get(f"{_notes(customer)}?limit=2")
    too_many = client.get(f"{_notes(customer)}?limit=101")

    assert [note["body"] for note in two.json()["results"]] == ["note number 2", "note number 1"]
    assert too_many.status_code == 400
    assert list(error_of(too_many)["fields"]) == ["limit"]
    assert len(events("customer.notes_viewed")) == 1


@pytest.mark.parametrize("persona", ["compliance_officer", "security_admin"])
def test_people_without_customer_access_cannot_read_notes(
    client: Client, customer: Customer, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)

    response = signed_in(client, user).get(_notes(customer))

    assert response.status_code == 403
    (denied,) = events("access.denied")
    assert denied.details == {
        "rule": "customers.read_history",
        "via": "api",
        "resource": f"GET {_notes(customer)}",
        "why": "missing_permission:customers.view_customer",
    }
    assert not events("customer.notes_viewed")


# --- Interactions ----------------------------------------------------------------------------


def test_agent_logs_an_interaction_and_reads_it_back(
    client: Client, agent: User, customer: Customer
) -> None:
    signed_in(client, agent)
    when = (timezone.now() - dt.timedelta(minutes=10)).replace(microsecond=0)

    added = client.post(
        _interactions(customer),
        {
            "channel": "call",
            "outcome": "follow_up",
            "summary": "Wants the invoice resent",
            "occurred_at": when.isoformat(),
        },
        content_type=JSON,
    )
    listed = client.get(_interactions(customer))

    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["channel"], body["outcome"], body["summary"]) == (
        "call",
        "follow_up",
        "Wants the invoice resent",
    )
    assert body["agent"] == agent.username
    assert dt.datetime.fromisoformat(body["occurred_at"]) == when
    assert listed.json()["results"] == [body]
    interaction = Interaction.objects.get()
    assert "invoice" not in interaction.summary_enc
    (event,) = events("customer.interaction_added")
    assert event.details == {
        "interaction": str(interaction.pk),
        "channel": "call",
        "outcome": "follow_up",
    }
    (viewed,) = events("customer.interactions_viewed")
    assert viewed.details == {"interactions": [str(interaction.pk)]}
    assert_audit_holds_no_personal_values("invoice resent")


def test_an_interaction_without_summary_or_time_is_logged_now(
    client: Client, agent: User, customer: Customer
) -> None:
    before = timezone.now()

    response = signed_in(client, agent).post(
        _interactions(customer), {"channel": "chat", "outcome": "resolved"}, content_type=JSON
    )

    assert response.status_code == 201
    assert response.json()["summary"] == ""
    assert dt.datetime.fromisoformat(response.json()["occurred_at"]) >= before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"outcome": "maybe"}, "outcome"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"agent": "someone.else"}, "agent"),
    ],
    ids=["channel", "outcome", "bad-time", "future", "agent"],
)
def test_bad_interactions_get_400_and_nothing_is_written(
    client: Client, agent: User, customer: Customer, changes: dict[str, Any], field: str
) -> None:
    before = counts()
    body = {"channel": "call", "outcome": "resolved", **changes}

    response = signed_in(client, agent).post(_interactions(customer), body, content_type=JSON)

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert counts() == before


def test_a_card_number_in_an_interaction_summary_is_masked(
    client: Client, agent: User, customer: Customer
) -> None:
    response = signed_in(client, agent).post(
        _interactions(customer),
        {"channel": "call", "outcome": "resolved", "summary": "card 4111111111111111 given"},
        content_type=JSON,
    )

    assert response.status_code == 201
    assert response.json()["summary"] == "card •••• 1111 given"
    assert events("customer.card_data_redacted")[0].details["where"] == "interaction"
