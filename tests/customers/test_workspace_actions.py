"""Workspace actions through the Django test client: revealing a field with a reason (with
and without htmx, over the limit), notes and interactions, and that no page shows a full
card number, even one that reached the database before the scanner or a refused form.
"""

from __future__ import annotations

import re

import pytest
from pytest_django import Settings

from accounts.models import Team, User
from ccplatform.config import Rate
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, Note
from customers.permissions import MEDICAL_MESSAGE
from customers.selectors import NOTE_TABLE
from tests.customers.workspace_helpers import (
    CARD,
    CARD_DIGITS,
    PHONE_E164,
    client_for,
    customer_fixture,  # noqa: F401 - registers the fixture
    events,
    make_customer,
    no_card_number,
    page_url,
)

pytestmark = pytest.mark.django_db


# --- Reveal ---------------------------------------------------------------------------------


def test_reveal_without_javascript_renders_the_page_with_the_one_field_in_full(
    agent: User, customer: Customer
) -> None:
    response = client_for(agent).post(
        page_url(customer.pk, "reveal/"),
        {"field": "phones", "reason": "Verifying the caller's identity"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert PHONE_E164 in html
    assert "Revealed · recorded" in html
    assert "Maria" not in html  # only the field asked for
    event = events("customer.revealed", agent)[-1]
    assert event.details == {"fields": ["phones"]}
    assert event.reason == "Verifying the caller's identity"
    assert event.target_id == str(customer.pk)
    assert PHONE_E164 not in str(event.details)


def test_reveal_with_htmx_returns_only_that_fields_row(agent: User, customer: Customer) -> None:
    response = client_for(agent).post(
        page_url(customer.pk, "reveal/"),
        {"field": "name", "reason": "Customer asked to confirm their details"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="field-row is-revealed" id="field-name">')
    assert "Maria Lopez" in html
    assert "<html" not in html
    assert 'id="field-phones"' not in html
    assert "data-swap-focus" in html
    assert events("customer.revealed", agent)[-1].details == {"fields": ["name"]}


@pytest.mark.parametrize("htmx", [False, True])
def test_reveal_without_a_reason_gets_400_and_reveals_nothing(
    agent: User, customer: Customer, htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_for(agent).post(
        page_url(customer.pk, "reveal/"), {"field": "phones", "reason": "  "}, headers=headers
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert 'aria-invalid="true"' in html
    assert '<details class="reveal" open>' in html
    assert PHONE_E164 not in html
    assert events("customer.revealed") == []


def test_agent_cannot_reveal_a_medical_field(agent: User, customer: Customer) -> None:
    response = client_for(agent).post(
        page_url(customer.pk, "reveal/"), {"field": "medical_notes", "reason": "curious"}
    )
    assert response.status_code == 403
    assert b"Asthma" not in response.content
    # The page says which rule refused: the medical one, not a generic refusal.
    assert MEDICAL_MESSAGE == "Medical fields need the medical permission."
    assert MEDICAL_MESSAGE.encode() in response.content
    assert events("customer.revealed") == []
    [denied] = events("access.denied", agent)  # the refusal is on record
    assert (denied.target_type, denied.target_id) == ("customers.customer", str(customer.pk))
    assert denied.details == {
        "rule": "customers.reveal_fields",
        "via": "page",
        "resource": f"customers.customer:{customer.pk}",
        "why": "missing_permission:customers.view_medical",
    }


def test_supervisor_reveals_a_medical_field_with_a_reason(
    supervisor: User, customer: Customer
) -> None:
    response = client_for(supervisor).post(
        page_url(customer.pk, "reveal/"),
        {"field": "medical_notes", "reason": "Arranging a callback"},
    )
    assert response.status_code == 200
    assert b"Asthma; prefers morning calls" in response.content
    assert events("customer.revealed", supervisor)[-1].details == {"fields": ["medical_notes"]}


@pytest.mark.parametrize("htmx", [False, True])
def test_reveals_over_the_limit_get_429_with_a_clear_message(
    agent: User, customer: Customer, settings: Settings, htmx: bool
) -> None:
    settings.REVEAL_RATE = Rate(2, "hour")
    client = client_for(agent)
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"field": "phones", "reason": "Verifying the caller's identity"}
    statuses = [
        client.post(page_url(customer.pk, "reveal/"), data, headers=headers).status_code
        for _ in range(2)
    ]
    refused = client.post(page_url(customer.pk, "reveal/"), data, headers=headers)
    assert statuses == [200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    html = refused.content.decode()
    assert "Too many reveals; try again in" in html
    assert PHONE_E164 not in html
    assert len(events("customer.revealed", agent)) == 2
    [refusal] = events("customer.reveal_refused", agent)
    assert refusal.details == {"fields": ["phones"], "why": "reveal_rate"}


# --- Notes and interactions ----------------------------------------------------------------


def test_note_with_a_card_number_is_saved_masked_and_no_page_shows_the_number(
    agent: User, customer: Customer
) -> None:
    client = client_for(agent)
    response = client.post(
        page_url(customer.pk, "notes/"), {"body": f"Paid with {CARD} exp 12/27 today"}
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(customer.pk) + "#history"
    page = client.get(response["Location"]).content.decode()
    assert "Paid with •••• 1111" in page
    assert "12/27" not in page
    assert no_card_number(page)
    assert "masked to their last 4 digits" in page
    note = Note.objects.get(customer=customer)
    assert note.author == agent
    assert CARD_DIGITS not in note.body_enc
    assert events("customer.note_added", agent)[-1].details == {"note": str(note.pk)}
    assert events("customer.card_data_redacted", agent)


def test_an_old_note_holding_a_card_number_is_masked_on_the_page(
    agent: User, customer: Customer
) -> None:
    # A note saved before the scanner existed (the rescan command has not reached it yet).
    note = Note(customer=customer, author=agent)
    note.body_enc = CustomerCipher(customer).seal(NOTE_TABLE, "body", note.pk, f"card {CARD}")
    note.save(force_insert=True)
    html = client_for(agent).get(page_url(customer.pk)).content.decode()
    assert no_card_number(html)
    assert "card •••• 1111" in html


def test_a_name_holding_a_card_number_is_masked_even_when_revealed(
    agent: User, team_a: Team
) -> None:
    customer = make_customer(team_a, name=f"Pat {CARD_DIGITS}")
    response = client_for(agent).post(
        page_url(customer.pk, "reveal/"), {"field": "name", "reason": "Confirming the name"}
    )
    assert response.status_code == 200
    assert no_card_number(response.content.decode())
    assert "Pat •••• 1111" in response.content.decode()


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_bad_note_gets_400_with_the_field_error_and_nothing_is_written(
    agent: User, customer: Customer, body: str
) -> None:
    response = client_for(agent).post(page_url(customer.pk, "notes/"), {"body": body})
    assert response.status_code == 400
    assert re.search(r'class="field has-error">\s*<label for="id_body"', response.content.decode())
    assert not Note.objects.exists()
    assert events("customer.note_added") == []


def test_a_refused_note_does_not_echo_a_card_number(agent: User, customer: Customer) -> None:
    body = f"{CARD} " + "x" * 10_000
    response = client_for(agent).post(page_url(customer.pk, "notes/"), {"body": body})
    assert response.status_code == 400
    assert no_card_number(response.content.decode())
    assert not Note.objects.exists()


def test_interaction_is_logged_and_listed_in_the_history(agent: User, customer: Customer) -> None:
    client = client_for(agent)
    response = client.post(
        page_url(customer.pk, "interactions/"),
        {"channel": "call", "outcome": "follow_up", "summary": "Asked about a refund"},
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get(customer=customer)
    assert (interaction.channel, interaction.outcome, interaction.agent) == (
        "call",
        "follow_up",
        agent,
    )
    page = client.get(page_url(customer.pk)).content.decode()
    assert "Follow-up needed" in page
    assert "Asked about a refund" in page
    assert events("customer.interaction_added", agent)[-1].details == {
        "interaction": str(interaction.pk),
        "channel": "call",
        "outcome": "follow_up",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "fax", "outcome": "resolved"}, "channel"),
        ({"channel": "call", "outcome": "maybe"}, "outcome"),
        ({"channel": "call", "outcome": "resolved", "summary": "x" * 10_001}, "summary"),
    ],
)
def test_bad_interaction_gets_400_with_the_field_error_and_nothing_is_written(
    agent: User, customer: Customer, data: dict[str, str], field: str
) -> None:
    response = client_for(agent).post(page_url(customer.pk, "interactions/"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'class="field has-error">\s*<label for="id_{field}"', html)
    assert not Interaction.objects.exists()
    assert events("customer.interaction_added") == []
