"""Reads of customer data, scoped to the caller (need-to-know), returned as they are shown.

Which customers a caller reaches is decided here only; what a read returns is ready to show
as the caller may see it: masked values (medical ones only for callers allowed to see them),
history with card numbers masked again on the way out. Views and the API serialise what
these return; they never decrypt. A stored value that fails its integrity check raises
DecryptionError, which the caller records (customers.services.access_log) and answers 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from accounts.roles import Role
from ccplatform import gate
from ccplatform.callers import Caller
from ccplatform.redaction import mask_card_numbers
from ccplatform.scopes import Scope
from customers.crypto import CustomerCipher
from customers.fields import MEDICAL_FIELDS, REVEALABLE, mask_value
from customers.models import Customer, Interaction, Note
from customers.permissions import (
    can_locate_customers,
    can_read_history,
    can_reveal_record,
    can_view_customers,
    can_view_medical,
)
from customers.residence import residence

VISIBLE_RULE = "customers.visible"
NOTE_TABLE = "customers_note"
INTERACTION_TABLE = "customers_interaction"
# Fields whose mask shows nothing of the value (only whether there is one).
VALUE_FREE_MASKS = frozenset({"date_of_birth", "medical_notes"})
HISTORY_LIMIT = 50
REGION_BATCH = 1000


def customers_visible_to(caller: Caller) -> QuerySet[Customer]:
    """Agents: their teams' customers and those assigned to them. Supervisors: their teams.
    Integrator keys with customers:read: all. Everyone else (compliance officers, security
    admins, the system): none — compliance reaches records only through its own workflows.
    """
    base = Customer.objects.select_related("team")
    if caller.is_key:
        return base if caller.has_scope(Scope.CUSTOMERS_READ) else base.none()
    if not can_view_customers(caller):
        return base.none()
    if caller.role == Role.AGENT:
        mine = Q(team_id__in=caller.team_ids) | Q(assigned_to=caller.user_id)
        return base.filter(mine).distinct()
    if caller.role == Role.SUPERVISOR:
        return base.filter(team_id__in=caller.team_ids)
    return base.none()


def customer_get_for(caller: Caller, customer_id: uuid.UUID | str) -> Customer:
    """The customer if `caller` may see it; Http404 whether hidden or missing (audited)."""
    try:
        key = uuid.UUID(str(customer_id))
    except ValueError:
        gate.hidden(caller, rule=VISIBLE_RULE, resource=("customers.customer", "malformed"))
    customer = customers_visible_to(caller).filter(pk=key).first()
    if customer is None:
        gate.hidden(caller, rule=VISIBLE_RULE, resource=("customers.customer", str(key)))
    return customer


# --- Read models: what a page or a response shows -------------------------------------------


def customer_masked(caller: Caller, customer: Customer) -> dict[str, Any]:
    """Every revealable field as shown before a reveal; medical fields only for callers
    allowed to see them."""
    medical = bool(can_view_medical(caller))
    cipher = CustomerCipher(customer)
    shown: dict[str, Any] = {}
    for field in REVEALABLE:
        if field in MEDICAL_FIELDS and not medical:
            continue
        if field in VALUE_FREE_MASKS:
            # The mask does not depend on the value: no need to decrypt it for a list page.
            stored = getattr(customer, f"{field}_enc")
            shown[field] = mask_value(field, "x") if stored else ""
            continue
        shown[field] = mask_value(field, cipher.decrypt(field))
    return shown


def customer_record(caller: Caller, customer: Customer) -> dict[str, Any]:
    """The customer as every API response shows it: ids and times plus masked fields."""
    return {
        "id": customer.pk,
        "team": customer.team_id,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        **customer_masked(caller, customer),
    }


def _without_cards(text: str) -> str:
    # Text saved before the current card scanner (until rescan_notes has run) may still
    # hold a card number: masked again on the way out, whoever reads it.
    return mask_card_numbers(text)[0]


def note_shown(
    customer: Customer, note: Note, cipher: CustomerCipher | None = None
) -> dict[str, Any]:
    body = (cipher or CustomerCipher(customer)).open(NOTE_TABLE, "body", note.pk, note.body_enc)
    return {
        "id": note.pk,
        "author": note.author.username,
        "created_at": note.created_at,
        "body": _without_cards(body),
    }


def interaction_shown(
    customer: Customer, interaction: Interaction, cipher: CustomerCipher | None = None
) -> dict[str, Any]:
    summary = (
        (cipher or CustomerCipher(customer)).open(
            INTERACTION_TABLE, "summary", interaction.pk, interaction.summary_enc
        )
        if interaction.summary_enc
        else ""
    )
    return {
        "id": interaction.pk,
        "agent": interaction.agent.username,
        "channel": interaction.channel,
        "outcome": interaction.outcome,
        "occurred_at": interaction.occurred_at,
        "summary": _without_cards(summary),
    }


def customer_history(
    caller: Caller, customer: Customer, *, limit: int = HISTORY_LIMIT
) -> dict[str, list[dict[str, Any]]]:
    """The customer's newest notes and interactions, decrypted, card numbers masked; empty
    for a caller who may not read history, and while the record is sealed (the caller
    audits the view)."""
    if not can_read_history(caller) or not can_reveal_record(caller, customer):
        return {"notes": [], "interactions": []}
    cipher = CustomerCipher(customer)
    notes = customer.notes.select_related("author").order_by("-created_at", "-pk")[:limit]
    interactions = customer.interactions.select_related("agent").order_by("-occurred_at", "-pk")
    return {
        "notes": [note_shown(customer, note, cipher) for note in notes],
        "interactions": [
            interaction_shown(customer, item, cipher) for item in interactions[:limit]
        ],
    }


# --- For the system's jobs ----------------------------------------------------------------


@dataclass(frozen=True)
class Residence:
    region: str  # "US-MN", "GB"; "" when the address names none
    team_id: uuid.UUID


def customer_residences(
    caller: Caller, customer_ids: Iterable[uuid.UUID | str]
) -> dict[str, Residence]:
    """The region of residence and the team of each of these customers, the region read
    from their encrypted addresses here: the addresses never leave this module. Only the
    system asks (an incident's affected-customer job); ids not found are left out.
    """
    gate.require(caller, can_locate_customers(caller), resource=("customers.customer", "regions"))
    found: dict[str, Residence] = {}
    ids = [str(value) for value in customer_ids]
    for start in range(0, len(ids), REGION_BATCH):
        batch = Customer.objects.filter(pk__in=ids[start : start + REGION_BATCH])
        for customer in batch:
            addresses = CustomerCipher(customer).decrypt("addresses")
            region = residence(addresses if isinstance(addresses, list) else [])
            found[str(customer.pk)] = Residence(region, customer.team_id)
    return found
