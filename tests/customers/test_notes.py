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
from ccplatform.callers import Caller
from ccplatform.crypto.fields import binding, decrypt_value
from ccplatform.crypto.providers import DecryptionError
from ccplatform.errors import AccessDeniedError, ServiceError
from ccplatform.redaction import CARD_SCANNER_VERSION
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, Note
from customers.selectors import INTERACTION_TABLE, NOTE_TABLE, customer_history
from customers.services.notes import MAX_TEXT, customer_interaction_add, customer_note_add
from customers.services.records import customer_create
from tests.personas import SETUP, as_caller

pytestmark = pytest.mark.django_db

PAN = "4111111111111111"
CARD_NOTE = "Paid with 4111 1111 1111 1111 exp 12/27 cvv 123, refund promised"
MASKED_NOTE = "Paid with •••• 1111 exp [card data removed] cvv [card data removed], refund promised"
PLAIN_NOTE = "Prefers a call back about the mortgage after lunch"


@pytest.fixture
def customer(team_a: Team) -> Customer:
    return customer_create(caller=SETUP, team_id=team_a.pk, values={"name": "Ottoline Brackwater"})


@pytest.fixture
def other_customer(team_a: Team) -> Customer:
    return customer_create(caller=SETUP, team_id=team_a.pk, values={"name": "Percival Moss"})


def as_agent(user: User) -> Caller:
    return as_caller(user)


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
    note = customer_note_add(caller=as_agent(agent), customer=customer, body=PLAIN_NOTE)
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
    first = customer_note_add(caller=as_agent(agent), customer=customer, body="one")
    second = customer_note_add(caller=as_agent(agent), customer=customer, body="two")
    Note.objects.filter(pk=second.pk).update(body_enc=first.body_enc)
    with pytest.raises(DecryptionError):
        customer_history(as_agent(agent), customer)


def test_card_data_in_a_note_is_redacted_before_saving(agent: User, customer: Customer) -> None:
    note = customer_note_add(caller=as_agent(agent), customer=customer, body=CARD_NOTE)
    note.refresh_from_db()
    cipher = CustomerCipher(customer)
    assert cipher.open(NOTE_TABLE, "body", note.pk, note.body_enc) == MASKED_NOTE
    assert note.scanned_version == CARD_SCANNER_VERSION
    assert customer_history(as_agent(agent), customer)["notes"][0]["body"] == MASKED_NOTE
    assert PAN not in audit_text()


def test_redacted_note_records_a_security_event_with_counts_only(
    agent: User, customer: Customer
) -> None:
    note = customer_note_add(caller=as_agent(agent), customer=customer, body=CARD_NOTE)
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
    customer_note_add(caller=as_agent(agent), customer=customer, body=PLAIN_NOTE)
    assert events("customer.card_data_redacted") == []


def test_note_added_is_audited_with_its_id_only(agent: User, customer: Customer) -> None:
    note = customer_note_add(caller=as_agent(agent), customer=customer, body=PLAIN_NOTE)
    [event] = events("customer.note_added")
    assert (event.actor_kind, event.actor_id) == ("user", str(agent.pk))
    assert (event.target_type, event.target_id) == ("customers.customer", str(customer.pk))
    assert event.details == {"note": str(note.pk)}
    assert "mortgage" not in audit_text()


def test_note_is_trimmed(agent: User, customer: Customer) -> None:
    customer_note_add(caller=as_agent(agent), customer=customer, body="  hello \n")
    assert customer_history(as_agent(agent), customer)["notes"][0]["body"] == "hello"


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
        customer_note_add(caller=as_agent(agent), customer=customer, body=body)
    assert refused.value.fields == {"body": [message]}
    assert Note.objects.count() == 0
    assert AuditEvent.objects.count() == audit_rows


def test_note_of_exactly_the_maximum_length_is_accepted(agent: User, customer: Customer) -> None:
    body = "x" * MAX_TEXT
    customer_note_add(caller=as_agent(agent), customer=customer, body=body)
    assert customer_history(as_agent(agent), customer)["notes"][0]["body"] == body


# --- Interactions ----------------------------------------------------------------------------


def add_call(agent: User, customer: Customer, **changes: Any) -> Interaction:
    arguments: dict[str, Any] = {"channel": "call", "outcome": "resolved", "summary": PLAIN_NOTE}
    return customer_interaction_add(
        caller=as_agent(agent), customer=customer, **{**arguments, **changes}
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
    assert customer_history(as_agent(agent), customer)["interactions"][0]["summary"] == MASKED_NOTE
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
    assert customer_history(as_agent(agent), customer)["interactions"][0]["summary"] == ""
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
    first = customer_note_add(caller=as_agent(agent), customer=customer, body="first")
    customer_note_add(caller=as_agent(agent), customer=customer, body="second")
    customer_note_add(caller=as_agent(agent), customer=other_customer, body="other")
    earlier = timezone.now() - dt.timedelta(hours=2)
    # Two notes in one test can share a clock tick; make "first" unmistakably older.
    Note.objects.filter(pk=first.pk).update(created_at=earlier)
    add_call(agent, customer, summary="older call", occurred_at=earlier)
    add_call(agent, customer, summary="newer call")
    history = customer_history(as_agent(agent), customer)
    assert [note["body"] for note in history["notes"]] == ["second", "first"]
    assert [item["summary"] for item in history["interactions"]] == ["newer call", "older call"]
    assert {note["author"] for note in history["notes"]} == {agent.username}


def test_history_is_limited(agent: User, customer: Customer) -> None:
    for number in range(3):
        customer_note_add(caller=as_agent(agent), customer=customer, body=f"note {number}")
    assert len(customer_history(as_agent(agent), customer, limit=2)["notes"]) == 2


# --- Who writes and who reads ------------------------------------------------------------------


def test_the_author_and_the_agent_are_the_callers_account(agent: User, customer: Customer) -> None:
    note = customer_note_add(caller=as_agent(agent), customer=customer, body=PLAIN_NOTE)
    interaction = add_call(agent, customer)
    assert Note.objects.get(pk=note.pk).author == agent
    assert Interaction.objects.get(pk=interaction.pk).agent == agent
    history = customer_history(as_agent(agent), customer)
    assert [item["author"] for item in history["notes"]] == [agent.username]
    assert [item["agent"] for item in history["interactions"]] == [agent.username]


@pytest.mark.parametrize(
    ("add", "rule", "permission"),
    [
        (
            lambda caller, customer: customer_note_add(
                caller=caller, customer=customer, body=PLAIN_NOTE
            ),
            "customers.add_note",
            "customers.add_note",
        ),
        (
            lambda caller, customer: customer_interaction_add(
                caller=caller, customer=customer, channel="call", outcome="resolved"
            ),
            "customers.add_interaction",
            "customers.add_interaction",
        ),
    ],
    ids=["note", "interaction"],
)
def test_a_person_without_the_permission_adds_nothing_and_is_recorded(
    compliance_officer: User, customer: Customer, add: Any, rule: str, permission: str
) -> None:
    with pytest.raises(AccessDeniedError):
        add(as_caller(compliance_officer), customer)
    assert not Note.objects.exists()
    assert not Interaction.objects.exists()
    [denied] = events("access.denied")
    assert (denied.actor_id, denied.target_id) == (str(compliance_officer.pk), str(customer.pk))
    assert denied.details == {
        "rule": rule,
        "via": "page",
        "resource": f"customers.customer:{customer.pk}",
        "why": f"missing_permission:{permission}",
    }


def test_the_system_adds_no_notes(customer: Customer) -> None:
    with pytest.raises(AccessDeniedError):
        customer_note_add(caller=SETUP, customer=customer, body=PLAIN_NOTE)
    assert not Note.objects.exists()
    [denied] = events("access.denied")
    assert (denied.actor_kind, denied.details["why"]) == ("system", "not_for_the_system")


def test_history_is_empty_for_a_caller_who_may_not_read_it(
    agent: User, compliance_officer: User, customer: Customer
) -> None:
    customer_note_add(caller=as_agent(agent), customer=customer, body=PLAIN_NOTE)
    add_call(agent, customer)
    for caller in (as_caller(compliance_officer), SETUP):
        assert customer_history(caller, customer) == {"notes": [], "interactions": []}
    assert len(customer_history(as_agent(agent), customer)["notes"]) == 1
