"""Tampered ciphertext: a clear 409 naming an integrity failure, audited, never garbled data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client

from accounts.models import Team, User
from customers.models import Customer, Note
from customers.services.notes import customer_note_add
from tests.customers.api_support import API, error_of, events, make_customer, signed_in
from tests.personas import as_caller

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def source(team_a: Team) -> Customer:
    return make_customer(team_a, name="Source Personname")


@pytest.fixture
def victim(team_a: Team) -> Customer:
    return make_customer(team_a, name="Victim Personname")


def _paste_name(source: Customer, victim: Customer) -> None:
    """What an attacker with database access does: move one row's ciphertext to another."""
    Customer.objects.filter(pk=victim.pk).update(name_enc=source.name_enc)


def _assert_integrity_failure(response: TestResponse) -> None:
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "integrity_failure"
    assert "integrity check" in error["message"]
    text = response.content.decode()
    for leak in ("Traceback", "DecryptionError", "Source", "Victim", "e1."):
        assert leak not in text, leak


def _assert_failure_audited(customer: Customer, user: User, operation: str) -> None:
    (event,) = events("customer.integrity_failed")
    assert (event.actor_id, event.target_id, event.outcome) == (
        str(user.pk),
        str(customer.pk),
        "failed",
    )
    assert event.details == {"operation": operation}


def test_a_value_pasted_from_another_customer_gives_409_on_retrieve_and_is_audited(
    client: Client, agent: User, source: Customer, victim: Customer
) -> None:
    _paste_name(source, victim)

    response = signed_in(client, agent).get(f"{API}{victim.pk}/")

    _assert_integrity_failure(response)
    _assert_failure_audited(victim, agent, "retrieve")
    assert not events("customer.viewed")
    # The untouched customer still reads fine.
    assert client.get(f"{API}{source.pk}/").status_code == 200


def test_one_tampered_row_fails_the_list_loudly_and_names_the_customer(
    client: Client, agent: User, source: Customer, victim: Customer
) -> None:
    _paste_name(source, victim)

    response = signed_in(client, agent).get(API)

    _assert_integrity_failure(response)
    _assert_failure_audited(victim, agent, "list")


def test_revealing_a_tampered_field_gives_409_and_reveals_nothing(
    client: Client, agent: User, source: Customer, victim: Customer
) -> None:
    _paste_name(source, victim)

    response = signed_in(client, agent).post(
        f"{API}{victim.pk}/reveal/",
        {"fields": ["name"], "reason": "Caller verification"},
        content_type=JSON,
    )

    _assert_integrity_failure(response)
    _assert_failure_audited(victim, agent, "reveal")
    assert not events("customer.revealed")


def test_a_swapped_data_key_gives_409_on_update_and_changes_nothing(
    client: Client, agent: User, source: Customer, victim: Customer
) -> None:
    Customer.objects.filter(pk=victim.pk).update(data_key_wrapped=source.data_key_wrapped)
    stored = Customer.objects.values().get(pk=victim.pk)

    response = signed_in(client, agent).patch(
        f"{API}{victim.pk}/", {"name": "Changed Name"}, content_type=JSON
    )

    _assert_integrity_failure(response)
    _assert_failure_audited(victim, agent, "update")
    assert Customer.objects.values().get(pk=victim.pk) == stored
    assert not events("customer.updated")


def test_a_note_moved_between_customers_gives_409_on_the_notes_list(
    client: Client, agent: User, source: Customer, victim: Customer
) -> None:
    moved = customer_note_add(caller=as_caller(agent), customer=source, body="Source note")
    target = customer_note_add(caller=as_caller(agent), customer=victim, body="Victim note")
    Note.objects.filter(pk=target.pk).update(body_enc=moved.body_enc)

    response = signed_in(client, agent).get(f"{API}{victim.pk}/notes/")

    _assert_integrity_failure(response)
    _assert_failure_audited(victim, agent, "notes_list")
    assert not events("customer.notes_viewed")
