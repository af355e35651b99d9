"""Notes and interactions: free text is scanned for card data, then encrypted, then audited.

The author of a note (the agent of an interaction) is the caller's account: the person, or
the service account of an integrator's key. Reading them back is customers.selectors."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.callers import user_of
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.redaction import CARD_SCANNER_VERSION, CardRedaction, redact_card_data
from customers.actions import CARD_DATA_REDACTED, CUSTOMER_INTERACTION_ADDED, CUSTOMER_NOTE_ADDED
from customers.crypto import CustomerCipher
from customers.models import Customer, Interaction, InteractionChannel, InteractionOutcome, Note
from customers.permissions import can_add_interactions, can_add_notes
from customers.selectors import INTERACTION_TABLE, NOTE_TABLE

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
    *, caller: Caller, customer: Customer, result: CardRedaction, where: str, row_id: object
) -> None:
    """Record the security event of card data found in free text (counts only, never text)."""
    audit_record(
        actor=caller.actor,
        action=CARD_DATA_REDACTED,
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


def customer_note_add(*, caller: Caller, customer: Customer, body: str) -> Note:
    """Add a note: card numbers in it are masked (and recorded) before it is encrypted."""
    require(caller, can_add_notes(caller), resource=customer)
    text, problems = _text_errors(body, required=True)
    if problems:
        raise ServiceError("The note is not valid.", fields={"body": problems})
    with transaction.atomic():
        return _note_add(caller, customer, text)


def _note_add(caller: Caller, customer: Customer, text: str) -> Note:
    note = Note(customer=customer, author=user_of(caller), scanned_version=CARD_SCANNER_VERSION)
    result = redact_card_data(text)
    note.body_enc = CustomerCipher(customer).seal(NOTE_TABLE, "body", note.pk, result.text)
    note.save(force_insert=True)
    if result.changed:
        card_data_redacted(
            caller=caller, customer=customer, result=result, where="note", row_id=note.pk
        )
    audit_record(
        actor=caller.actor,
        action=CUSTOMER_NOTE_ADDED,
        target=customer,
        details={"note": str(note.pk)},
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


def customer_interaction_add(
    *,
    caller: Caller,
    customer: Customer,
    channel: str,
    outcome: str,
    summary: str = "",
    occurred_at: dt.datetime | None = None,
) -> Interaction:
    """Log a call, chat or email; its summary is scanned for card data and encrypted."""
    require(caller, can_add_interactions(caller), resource=customer)
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
    with transaction.atomic():
        return _interaction_add(caller, customer, channel, outcome, text, when)


def _interaction_add(
    caller: Caller, customer: Customer, channel: str, outcome: str, text: str, when: dt.datetime
) -> Interaction:
    interaction = Interaction(
        customer=customer,
        agent=user_of(caller),
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
            caller=caller,
            customer=customer,
            result=result,
            where="interaction",
            row_id=interaction.pk,
        )
    audit_record(
        actor=caller.actor,
        action=CUSTOMER_INTERACTION_ADDED,
        target=customer,
        details={"interaction": str(interaction.pk), "channel": channel, "outcome": outcome},
    )
    return interaction
