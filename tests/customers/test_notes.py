"""customer_note_add / customer_interaction_add: scanned, encrypted, audited; bad input refused."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent
from ccplatform.context import Actor
from ccplatform.crypto.fields import binding, decrypt_value
from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import ServiceError
from ccplatform.redaction import CARD_SCANNER_VERSION
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, Note
from customers.services.notes import (
    INTERACTION_TABLE,
    MAX_TEXT,
    NOTE_TABLE,
    customer_history,
    customer_interaction_add,
    customer_note_add,
)
from customers.services.records import customer_create

pytestmark = pytest.mark.django_db

PAN = "4111111111111111"
CARD_NOTE = "Paid with 4111 1111 1111 1111 exp 12/27 cvv 123, refund promised"
MASKED_NOTE = "Paid with •••• 1111 exp [card data removed] cvv [card data removed], refund promised"
PLAIN_NOTE = "Prefers a call back about the mortgage after lunch"


@pytest.fixture
def customer(team_a: Team) -> Customer:
    return customer_create(
        actor=Actor.system("test"), team=team_a, values={"name": "Ottoline Brackwater"}
    )


@pytest.fixture
def other_customer(team_a: Team) -> Customer:
    return customer_create(
        actor=Actor.system("test"), team=team_a, values={"name": "Percival Moss"}
    )


def as_agent(user: User) -> Actor:
    return Actor.user(user.pk)


def stored_table(table: str) -> str:
    """Every row of `table` as the database holds it, as text, bypassing the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return repr(cursor.fetchall())


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str)


# --- Notes -----------------------------------------------------------------------------------


def test_note_is_stored_encrypted_under_the_customers_own_key(
    agent: User, customer: Customer, other_customer: Customer
) -> None:
    note = customer_note_add(
        actor=as_agent(agent), customer=customer, author=agent, body=PLAIN_NOTE
    )
    note.refresh_from_db()
    assert "mortgage" not in note.body_enc
    assert "mortgage" not in stored_table(NOTE_TABLE)
    assert CustomerCipher(customer).open(NOTE_TABLE, "body", note.pk, note.body_enc) == PLAIN_NOTE
    with pytest.raises(DecryptionError):
        CustomerCipher(other_customer).open(NOTE_TABLE, "body", note.pk, note.body_enc)
    # Even forcing the other customer's key past the key-id check fails the integrity check.
    with pytest.raises(DecryptionError):
        decrypt_value(
            CustomerCipher(other_customer).key,
            note.body_enc,
            aad=binding(NOTE_TABLE, "body", note.pk),
        )


def test_note_body_copied_to_another_note_fails_to_decrypt(agent: User, customer: Customer) -> None:
    first = customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body="one")
    second = customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body="two")
    Note.objects.filter(pk=second.pk).update(body_enc=first.body_enc)
    with pytest.raises(DecryptionError):
        customer_history(customer)


def test_card_data_in_a_note_is_redacted_before_saving(agent: User, customer: Customer) -> None:
    note = customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body=CARD_NOTE)
    note.refresh_from_db()
    cipher = CustomerCipher(customer)
    assert cipher.open(NOTE_TABLE, "body", note.pk, note.body_enc) == MASKED_NOTE
    assert note.scanned_version == CARD_SCANNER_VERSION
    assert customer_history(customer)["notes"][0]["body"] == MASKED_NOTE
    assert PAN not in audit_text()


def test_redacted_note_records_a_security_event_with_counts_only(
    agent: User, customer: Customer
) -> None:
    note = customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body=CARD_NOTE)
    [event] = events("customer.card_data_redacted")
    assert (event.actor_kind, event.actor_id) == ("user", str(agent.pk))
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.outcome == "allowed"
    assert event.details == {
        "where": "note",
        "note": str(note.pk),
        "cards": 1,
        "cvv_or_expiry_removed": 2,
        "scanner_version": CARD_SCANNER_VERSION,
    }


def test_note_without_card_data_records_no_security_event(agent: User, customer: Customer) -> None:
    customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body=PLAIN_NOTE)
    assert events("customer.card_data_redacted") == []


def test_note_added_is_audited_with_its_id_only(agent: User, customer: Customer) -> None:
    note = customer_note_add(
        actor=as_agent(agent), customer=customer, author=agent, body=PLAIN_NOTE
    )
    [event] = events("customer.note_added")
    assert (event.actor_kind, event.actor_id) == ("user", str(agent.pk))
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.details == {"note": str(note.pk)}
    assert "mortgage" not in audit_text()


def test_note_is_trimmed(agent: User, customer: Customer) -> None:
    customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body="  hello \n")
    assert customer_history(customer)["notes"][0]["body"] == "hello"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "This field is required."),
        ("   \n\t", "This field is required."),
        ("x" * (MAX_TEXT + 1), f"At most {MAX_TEXT} characters."),
        ("before\x00after", "The text contains a NUL character."),
        ("broken \ud83d emoji", "The text contains characters that are not valid Unicode."),
        (None, "Give text."),
        (42, "Give text."),
    ],
)
def test_bad_note_is_refused_with_a_field_error_and_nothing_written(
    agent: User, customer: Customer, body: Any, message: str
) -> None:
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body=body)
    assert refused.value.fields == {"body": [message]}
    assert Note.objects.count() == 0
    assert AuditEvent.objects.count() == audit_rows


def test_note_of_exactly_the_maximum_length_is_accepted(agent: User, customer: Customer) -> None:
    body = "x" * MAX_TEXT
    customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body=body)
    assert customer_history(customer)["notes"][0]["body"] == body


# --- Interactions ----------------------------------------------------------------------------


def add_call(agent: User, customer: Customer, **changes: Any) -> Interaction:
    arguments: dict[str, Any] = {"channel": "call", "outcome": "resolved", "summary": PLAIN_NOTE}
    return customer_interaction_add(
        actor=as_agent(agent), customer=customer, agent=agent, **{**arguments, **changes}
    )


def test_interaction_summary_is_stored_encrypted(
    agent: User, customer: Customer, other_customer: Customer
) -> None:
    interaction = add_call(agent, customer)
    interaction.refresh_from_db()
    assert "mortgage" not in interaction.summary_enc
    assert "mortgage" not in stored_table(INTERACTION_TABLE)
    cipher = CustomerCipher(customer)
    opened = cipher.open(INTERACTION_TABLE, "summary", interaction.pk, interaction.summary_enc)
    assert opened == PLAIN_NOTE
    with pytest.raises(DecryptionError):
        CustomerCipher(other_customer).open(
            INTERACTION_TABLE, "summary", interaction.pk, interaction.summary_enc
        )


def test_card_data_in_an_interaction_summary_is_redacted_and_recorded(
    agent: User, customer: Customer
) -> None:
    interaction = add_call(agent, customer, summary=CARD_NOTE)
    interaction.refresh_from_db()
    assert interaction.scanned_version == CARD_SCANNER_VERSION
    assert customer_history(customer)["interactions"][0]["summary"] == MASKED_NOTE
    [event] = events("customer.card_data_redacted")
    assert event.details == {
        "where": "interaction",
        "interaction": str(interaction.pk),
        "cards": 1,
        "cvv_or_expiry_removed": 2,
        "scanner_version": CARD_SCANNER_VERSION,
    }
    assert PAN not in audit_text()


def test_interaction_added_is_audited_with_ids_and_choices_only(
    agent: User, customer: Customer
) -> None:
    interaction = add_call(agent, customer, channel="chat", outcome="follow_up")
    [event] = events("customer.interaction_added")
    assert (event.actor_kind, event.actor_id) == ("user", str(agent.pk))
    assert event.target_id == str(customer.pk)
    assert event.details == {
        "interaction": str(interaction.pk),
        "channel": "chat",
        "outcome": "follow_up",
    }
    assert "mortgage" not in audit_text()


def test_interaction_without_summary_stores_nothing_to_decrypt(
    agent: User, customer: Customer
) -> None:
    interaction = add_call(agent, customer, summary="   ")
    interaction.refresh_from_db()
    assert interaction.summary_enc == ""
    assert customer_history(customer)["interactions"][0]["summary"] == ""
    assert len(events("customer.interaction_added")) == 1


def test_interaction_time_is_kept_in_utc(agent: User, customer: Customer) -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    when = dt.datetime(2026, 1, 5, 9, 30, tzinfo=berlin)
    interaction = add_call(agent, customer, occurred_at=when)
    interaction.refresh_from_db()
    assert interaction.occurred_at == when
    assert interaction.occurred_at.utcoffset() == dt.timedelta(0)


def test_interaction_a_few_minutes_ahead_is_accepted(agent: User, customer: Customer) -> None:
    # Agents' clocks drift; a summary logged "one minute from now" is not an error.
    add_call(agent, customer, occurred_at=timezone.now() + dt.timedelta(minutes=1))
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"channel": "fax"}, {"channel"}),
        ({"outcome": "maybe"}, {"outcome"}),
        ({"channel": None, "outcome": ["resolved"]}, {"channel", "outcome"}),
        ({"occurred_at": timezone.now() + dt.timedelta(days=1)}, {"occurred_at"}),
        ({"occurred_at": dt.datetime(2026, 1, 5, 9, 30)}, {"occurred_at"}),  # noqa: DTZ001
        ({"occurred_at": "yesterday"}, {"occurred_at"}),
        ({"summary": "x" * (MAX_TEXT + 1)}, {"summary"}),
        ({"summary": 12}, {"summary"}),
        (
            {
                "channel": "fax",
                "outcome": "maybe",
                "occurred_at": timezone.now() + dt.timedelta(days=1),
                "summary": "x" * (MAX_TEXT + 1),
            },
            {"channel", "outcome", "occurred_at", "summary"},
        ),
    ],
)
def test_bad_interaction_is_refused_with_field_errors_and_nothing_written(
    agent: User, customer: Customer, changes: dict[str, Any], fields: set[str]
) -> None:
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        add_call(agent, customer, **changes)
    assert set(refused.value.fields) == fields
    assert all(refused.value.fields[name] for name in fields)
    assert Interaction.objects.count() == 0
    assert AuditEvent.objects.count() == audit_rows


# --- History ---------------------------------------------------------------------------------


def test_history_lists_the_newest_first_and_only_this_customers(
    agent: User, customer: Customer, other_customer: Customer
) -> None:
    first = customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body="first")
    customer_note_add(actor=as_agent(agent), customer=customer, author=agent, body="second")
    customer_note_add(actor=as_agent(agent), customer=other_customer, author=agent, body="other")
    earlier = timezone.now() - dt.timedelta(hours=2)
    # Two notes in one test can share a clock tick; make "first" unmistakably older.
    Note.objects.filter(pk=first.pk).update(created_at=earlier)
    add_call(agent, customer, summary="older call", occurred_at=earlier)
    add_call(agent, customer, summary="newer call")
    history = customer_history(customer)
    assert [note["body"] for note in history["notes"]] == ["second", "first"]
    assert [item["summary"] for item in history["interactions"]] == ["newer call", "older call"]
    assert {note["author"] for note in history["notes"]} == {agent.username}


def test_history_is_limited(agent: User, customer: Customer) -> None:
    for number in range(3):
        customer_note_add(
            actor=as_agent(agent), customer=customer, author=agent, body=f"note {number}"
        )
    assert len(customer_history(customer, limit=2)["notes"]) == 2
