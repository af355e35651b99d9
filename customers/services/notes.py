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
from ccplatform.redaction import CARD_SCANNER_VERSION, CardRedaction, redact_card_data
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, InteractionChannel, InteractionOutcome, Note

NOTE_TABLE = "customers_note"
INTERACTION_TABLE = "customers_interaction"
MAX_TEXT = 10_000
# Clocks of agents' machines drift; an interaction a few minutes "ahead" is not an error.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def _text_errors(value: object, *, required: bool) -> tuple[str, list[str]]:
    """The trimmed text and what is wrong with it (empty list when it is fine)."""
    if value is None and not required:
        return "", []
    if not isinstance(value, str):
        return "", ["Give text."]
    text = value.strip()
    if required and not text:
        return text, ["This field is required."]
    if len(text) > MAX_TEXT:
        return text, [f"At most {MAX_TEXT} characters."]
    if "\x00" in text:
        return text, ["The text contains a NUL character."]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a broken emoji from some clients) cannot be encrypted as UTF-8.
        return text, ["The text contains characters that are not valid Unicode."]
    return text, []


def card_data_redacted(
    *, actor: Actor, customer: Customer, result: CardRedaction, where: str, row_id: object
) -> None:
    """Record the security event of card data found in free text (counts only, never text)."""
    audit_record(
        actor=actor,
        action="customer.card_data_redacted",
        target=customer,
        outcome=Outcome.ALLOWED,
        details={
            "where": where,
            where: str(row_id),
            "cards": result.cards,
            "cvv_or_expiry_removed": result.removed,
            "scanner_version": CARD_SCANNER_VERSION,
        },
    )


@transaction.atomic
def customer_note_add(*, actor: Actor, customer: Customer, author: User, body: str) -> Note:
    """Add a note: card numbers in it are masked (and recorded) before it is encrypted."""
    text, problems = _text_errors(body, required=True)
    if problems:
        raise ServiceError("The note is not valid.", fields={"body": problems})
    note = Note(customer=customer, author=author, scanned_version=CARD_SCANNER_VERSION)
    result = redact_card_data(text)
    note.body_enc = CustomerCipher(customer).seal(NOTE_TABLE, "body", note.pk, result.text)
    note.save(force_insert=True)
    if result.changed:
        card_data_redacted(
            actor=actor, customer=customer, result=result, where="note", row_id=note.pk
        )
    audit_record(
        actor=actor, action="customer.note_added", target=customer, details={"note": str(note.pk)}
    )
    return note


def _occurred_at_errors(occurred_at: object) -> tuple[dt.datetime, list[str]]:
    now = timezone.now()
    if occurred_at is None:
        return now, []
    if not isinstance(occurred_at, dt.datetime):
        return now, ["Give a date and time."]
    if timezone.is_naive(occurred_at):
        return now, ["Give a time zone."]
    if occurred_at > now + FUTURE_TOLERANCE:
        return now, ["An interaction cannot be in the future."]
    return occurred_at, []


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
    """Log a call, chat or email; its summary is scanned for card data and encrypted."""
    errors: dict[str, list[str]] = {}
    if not isinstance(channel, str) or channel not in InteractionChannel.values:
        errors["channel"] = [f"Choose from {', '.join(InteractionChannel.values)}."]
    if not isinstance(outcome, str) or outcome not in InteractionOutcome.values:
        errors["outcome"] = [f"Choose from {', '.join(InteractionOutcome.values)}."]
    when, problems = _occurred_at_errors(occurred_at)
    if problems:
        errors["occurred_at"] = problems
    text, problems = _text_errors(summary, required=False)
    if problems:
        errors["summary"] = problems
    if errors:
        raise ServiceError("Some fields are invalid.", fields=errors)
    interaction = Interaction(
        customer=customer,
        agent=agent,
        channel=channel,
        outcome=outcome,
        occurred_at=when.astimezone(dt.UTC),
        scanned_version=CARD_SCANNER_VERSION,
    )
    result = redact_card_data(text)
    if text:
        interaction.summary_enc = CustomerCipher(customer).seal(
            INTERACTION_TABLE, "summary", interaction.pk, result.text
        )
    interaction.save(force_insert=True)
    if result.changed:
        card_data_redacted(
            actor=actor,
            customer=customer,
            result=result,
            where="interaction",
            row_id=interaction.pk,
        )
    audit_record(
        actor=actor,
        action="customer.interaction_added",
        target=customer,
        details={"interaction": str(interaction.pk), "channel": channel, "outcome": outcome},
    )
    return interaction


def customer_history(customer: Customer, *, limit: int = 50) -> dict[str, list[dict[str, Any]]]:
    """The customer's latest notes and interactions, decrypted (the caller audits the view).

    Raises DecryptionError if a stored text fails its integrity check; callers show and
    record an integrity failure rather than garbled text.
    """
    cipher = CustomerCipher(customer)
    notes = [
        {
            "id": note.pk,
            "author": note.author.username,
            "created_at": note.created_at,
            "body": cipher.open(NOTE_TABLE, "body", note.pk, note.body_enc),
        }
        for note in customer.notes.select_related("author").order_by("-created_at", "-pk")[:limit]
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
        for item in customer.interactions.select_related("agent").order_by("-occurred_at", "-pk")[
            :limit
        ]
    ]
    return {"notes": notes, "interactions": interactions}
