"""Notes and interactions: free text is scanned for card data, then encrypted, then audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import Outcome
from audit.services import audit_record
from ccplatform.context import Actor
from ccplatform.errors import ServiceError
from ccplatform.redaction import redact_card_data
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, InteractionChannel, InteractionOutcome, Note

NOTE_TABLE = "customers_note"
INTERACTION_TABLE = "customers_interaction"
MAX_TEXT = 10_000


def _scanned(actor: Actor, customer: Customer, text: str, *, where: str) -> str:
    """Mask card numbers (and drop a CVV or expiry next to one); record a security event."""
    result = redact_card_data(text)
    if result.cards:
        audit_record(
            actor=actor,
            action="customer.card_data_redacted",
            target=customer,
            outcome=Outcome.ALLOWED,
            details={
                "where": where,
                "cards": result.cards,
                "cvv_or_expiry_removed": result.removed,
            },
        )
    return result.text


@transaction.atomic
def customer_note_add(*, actor: Actor, customer: Customer, author: User, body: str) -> Note:
    body = body.strip()
    if not body:
        raise ServiceError("A note cannot be empty.", fields={"body": ["This field is required."]})
    if len(body) > MAX_TEXT:
        raise ServiceError(
            "The note is too long.", fields={"body": [f"At most {MAX_TEXT} characters."]}
        )
    note = Note(customer=customer, author=author)
    text = _scanned(actor, customer, body, where="note")
    note.body_enc = CustomerCipher(customer).seal(NOTE_TABLE, "body", note.pk, text)
    note.save(force_insert=True)
    audit_record(
        actor=actor, action="customer.note_added", target=customer, details={"note": str(note.pk)}
    )
    return note


@transaction.atomic
def customer_interaction_add(
    *,
    actor: Actor,
    customer: Customer,
    agent: User,
    channel: str,
    outcome: str,
    summary: str = "",
    occurred_at: dt.datetime | None = None,
) -> Interaction:
    errors: dict[str, list[str]] = {}
    if channel not in InteractionChannel.values:
        errors["channel"] = [f"Choose from {', '.join(InteractionChannel.values)}."]
    if outcome not in InteractionOutcome.values:
        errors["outcome"] = [f"Choose from {', '.join(InteractionOutcome.values)}."]
    when = occurred_at or timezone.now()
    if timezone.is_naive(when):
        errors["occurred_at"] = ["Give a time zone."]
    elif when > timezone.now() + dt.timedelta(minutes=5):
        errors["occurred_at"] = ["An interaction cannot be in the future."]
    if len(summary) > MAX_TEXT:
        errors["summary"] = [f"At most {MAX_TEXT} characters."]
    if errors:
        raise ServiceError("Some fields are invalid.", fields=errors)
    interaction = Interaction(
        customer=customer, agent=agent, channel=channel, outcome=outcome, occurred_at=when
    )
    if summary.strip():
        text = _scanned(actor, customer, summary.strip(), where="interaction")
        interaction.summary_enc = CustomerCipher(customer).seal(
            INTERACTION_TABLE, "summary", interaction.pk, text
        )
    interaction.save(force_insert=True)
    audit_record(
        actor=actor,
        action="customer.interaction_added",
        target=customer,
        details={"interaction": str(interaction.pk), "channel": channel, "outcome": outcome},
    )
    return interaction


def customer_history(customer: Customer, *, limit: int = 50) -> dict[str, list[dict[str, Any]]]:
    """The customer's latest notes and interactions, decrypted (the caller audits the view)."""
    cipher = CustomerCipher(customer)
    notes = [
        {
            "id": note.pk,
            "author": note.author.username,
            "created_at": note.created_at,
            "body": cipher.open(NOTE_TABLE, "body", note.pk, note.body_enc),
        }
        for note in customer.notes.select_related("author")[:limit]
    ]
    interactions = [
        {
            "id": item.pk,
            "agent": item.agent.username,
            "channel": item.channel,
            "outcome": item.outcome,
            "occurred_at": item.occurred_at,
            "summary": cipher.open(INTERACTION_TABLE, "summary", item.pk, item.summary_enc)
            if item.summary_enc
            else "",
        }
        for item in customer.interactions.select_related("agent")[:limit]
    ]
    return {"notes": notes, "interactions": interactions}
