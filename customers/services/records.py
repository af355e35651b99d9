"""Customer records: create, update, view, reveal and search — each audited, no values logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from audit.models import Outcome
from audit.services import audit_record
from ccplatform.context import Actor
from ccplatform.crypto.blind_index import (
    LookupKind,
    NormalisationError,
    blind_index_normalised,
    normalise,
)
from ccplatform.crypto.data_keys import data_key_new
from ccplatform.errors import ServiceError
from ccplatform.redaction import mask_card_numbers, redact_card_data
from customers.crypto import CustomerCipher
from customers.fields import FIELDS, MEDICAL_FIELDS, REVEALABLE, Kind, mask_value
from customers.models import Customer, CustomerLookup
from customers.services.access_log import customer_reveal_denied

# Fields whose mask shows nothing of the value (only whether there is one).
VALUE_FREE_MASKS = frozenset({"date_of_birth", "medical_notes"})

LOOKUP_FIELDS = {
    "phones": LookupKind.PHONE,
    "emails": LookupKind.EMAIL,
    "account_number": LookupKind.ACCOUNT_NUMBER,
}


class RevealLimitError(ServiceError):
    """Too many reveals in a short time (a burst is itself a warning sign)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many reveals; try again in {retry_after} seconds.")
        self.retry_after = retry_after


def _date_of_birth(value: object) -> dt.date | None:
    """The date given as a date or ISO text; None if it is neither (a bad value is
    refused here rather than stored, because it could not be read back)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _clean(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Normalise and check values; field errors are collected, nothing is written.

    Returns the values to store and, per searchable field given, its normalised items (what
    the blind index digests), so that nothing is normalised twice.
    """
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ServiceError("Unknown fields.", fields={name: ["Unknown field."] for name in unknown})
    clean: dict[str, Any] = dict(values)
    searchable: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for field, spec in FIELDS.items():
        # One value given for a list field is one item (not a list of its characters).
        if spec.kind == Kind.LIST and isinstance(clean.get(field), str | tuple):
            item = clean[field]
            clean[field] = list(item) if isinstance(item, tuple) else [item] if item.strip() else []
    for field, kind in LOOKUP_FIELDS.items():
        if field not in clean or clean[field] in (None, ""):
            continue
        items = clean[field] if isinstance(clean[field], list) else [clean[field]]
        try:
            normalised = [normalise(kind, str(item)) for item in items]
        except NormalisationError as error:
            errors[field] = [str(error)]
            continue
        searchable[field] = normalised
        if field == "phones":
            clean[field] = normalised
        elif field == "account_number":
            clean[field] = normalised[0]
        elif field == "emails":
            clean[field] = [str(item).strip() for item in items]
    if "name" in clean and not str(clean["name"] or "").strip():
        errors["name"] = ["A name is required."]
    last4 = clean.get("card_last4")
    if last4 and not (len(str(last4)) == 4 and str(last4).isdigit()):
        errors["card_last4"] = ["Only the last 4 digits of a card are kept."]
    token = str(clean.get("card_token") or "")
    if token and mask_card_numbers(token)[1]:
        errors["card_token"] = [
            "That is a card number, not a token: card numbers are never stored."
        ]
    for field in ("medical_notes",):
        if clean.get(field):
            # As in notes: mask the card number and drop a CVV or expiry written next to it.
            clean[field] = redact_card_data(str(clean[field])).text
    if clean.get("date_of_birth") not in (None, ""):
        dob = _date_of_birth(clean["date_of_birth"])
        if dob is None:
            errors["date_of_birth"] = ["Enter a date as YYYY-MM-DD."]
        elif dob > timezone.now().date():
            errors["date_of_birth"] = ["A date of birth cannot be in the future."]
        else:
            clean["date_of_birth"] = dob
    if errors:
        raise ServiceError("Some fields are invalid.", fields=errors)
    return clean, searchable


def _lookups_for(customer: Customer, searchable: Mapping[str, list[str]]) -> list[CustomerLookup]:
    """Lookup rows of the normalised items of searchable fields (one per distinct digest)."""
    rows: dict[tuple[str, str], CustomerLookup] = {}
    for field, items in searchable.items():
        kind = LOOKUP_FIELDS[field]
        for item in items:
            version, digest = blind_index_normalised(kind, item)
            # By id: cheaper than through the relation, for the many rows of an import.
            rows[(kind, digest)] = CustomerLookup(
                customer_id=customer.pk, kind=kind, digest=digest, key_version=version
            )
    return list(rows.values())


def customer_build(
    *, team: Team, values: Mapping[str, Any]
) -> tuple[Customer, list[CustomerLookup]]:
    """An unsaved customer with a new data key (wrapped, on its row), encrypted values and
    its lookups: what create saves one at a time and bulk import in batches."""
    clean, searchable = _clean(values)
    if not str(clean.get("name") or "").strip():
        raise ServiceError("A name is required.", fields={"name": ["A name is required."]})
    customer = Customer(team=team)
    cipher = CustomerCipher(customer, data_key_new(customer))
    for field in FIELDS:
        setattr(customer, f"{field}_enc", cipher.encrypt(field, clean.get(field)))
    return customer, _lookups_for(customer, searchable)


@transaction.atomic
def customer_create(
    *, actor: Actor, team: Team, values: Mapping[str, Any], assigned_to: Iterable[User] = ()
) -> Customer:
    customer, lookups = customer_build(team=team, values=values)
    customer.save(force_insert=True)
    CustomerLookup.objects.bulk_create(lookups)
    assignees = list(assigned_to)
    if assignees:
        customer.assigned_to.set(assignees)
    audit_record(
        actor=actor,
        action="customer.created",
        target=customer,
        details={
            "fields": sorted(k for k, v in values.items() if v not in (None, "", [])),
            "team": str(team.pk),
        },
    )
    return customer


@transaction.atomic
def customer_update(
    *, actor: Actor, customer: Customer, values: Mapping[str, Any], medical_allowed: bool = False
) -> Customer:
    """Change some fields; lookups of changed searchable fields are rebuilt.

    Medical fields can be written only by callers allowed to see them.
    """
    if not values:
        raise ServiceError("Nothing to change.")
    if MEDICAL_FIELDS & set(values) and not medical_allowed:
        raise ServiceError(
            "Medical fields need the medical permission.",
            fields={field: ["Not permitted."] for field in MEDICAL_FIELDS & set(values)},
        )
    clean, searchable = _clean(values)
    cipher = CustomerCipher(customer)
    for field, value in clean.items():
        setattr(customer, f"{field}_enc", cipher.encrypt(field, value))
    customer.updated_at = timezone.now()
    customer.save(update_fields=[f"{field}_enc" for field in clean] + ["updated_at"])
    changed_lookups = {LOOKUP_FIELDS[field] for field in clean if field in LOOKUP_FIELDS}
    if changed_lookups:
        CustomerLookup.objects.filter(customer=customer, kind__in=changed_lookups).delete()
        CustomerLookup.objects.bulk_create(_lookups_for(customer, searchable))
    audit_record(
        actor=actor, action="customer.updated", target=customer, details={"fields": sorted(clean)}
    )
    return customer


def customer_masked(customer: Customer, *, include_medical: bool) -> dict[str, Any]:
    """Every field as shown before a reveal (medical fields left out unless permitted)."""
    cipher = CustomerCipher(customer)
    shown = {}
    for field in REVEALABLE:
        if field in MEDICAL_FIELDS and not include_medical:
            continue
        if field in VALUE_FREE_MASKS:
            # The mask does not depend on the value: no need to decrypt it for a list page.
            stored = getattr(customer, f"{field}_enc")
            shown[field] = mask_value(field, "x") if stored else ""
            continue
        shown[field] = mask_value(field, cipher.decrypt(field))
    return shown


@transaction.atomic
def customer_viewed(*, actor: Actor, customer: Customer) -> None:
    """Record that a customer's (masked) record was opened."""
    audit_record(actor=actor, action="customer.viewed", target=customer)


def _reveal_allowance(actor: Actor) -> None:
    count, _, period = settings.REVEAL_RATE.partition("/")
    seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}[period]
    key = f"ccplatform:reveals:{actor}:{int(timezone.now().timestamp()) // seconds}"
    cache.add(key, 0, timeout=seconds)
    if cache.incr(key) > int(count):
        raise RevealLimitError(retry_after=seconds - int(timezone.now().timestamp()) % seconds)


@transaction.atomic
def _record_reveal_refused(actor: Actor, customer: Customer, fields: list[str]) -> None:
    audit_record(
        actor=actor,
        action="customer.reveal_refused",
        target=customer,
        outcome=Outcome.DENIED,
        details={"fields": fields, "why": "reveal_rate"},
    )


class RevealPermissionError(ServiceError):
    """A field was asked for that the caller may not see (medical without the permission)."""


def customer_reveal(
    *, actor: Actor, customer: Customer, fields: Iterable[str], reason: str, medical_allowed: bool
) -> dict[str, Any]:
    """Plaintext of the asked fields only, with a reason; who, whom, which fields and why.

    Not one transaction as a whole: a refusal (no medical permission, over REVEAL_RATE) is
    recorded even though the caller gets an error.
    """
    wanted = list(dict.fromkeys(fields))
    if not reason.strip():
        raise ServiceError(
            "A reason is required to reveal customer data.", fields={"reason": ["Required."]}
        )
    bad = [field for field in wanted if field not in REVEALABLE]
    if not wanted or bad:
        raise ServiceError(
            "Choose fields that can be revealed.",
            fields={"fields": [f"Choose from {', '.join(REVEALABLE)}."]},
        )
    if MEDICAL_FIELDS & set(wanted) and not medical_allowed:
        customer_reveal_denied(
            actor=actor, customer=customer, fields=wanted, why="medical_permission"
        )
        raise RevealPermissionError(
            "Medical fields need the medical permission.", fields={"fields": ["Not permitted."]}
        )
    try:
        _reveal_allowance(actor)
    except RevealLimitError:
        _record_reveal_refused(actor, customer, wanted)
        raise
    return _reveal_values(actor=actor, customer=customer, fields=wanted, reason=reason)


@transaction.atomic
def _reveal_values(
    *, actor: Actor, customer: Customer, fields: list[str], reason: str
) -> dict[str, Any]:
    wanted = fields
    cipher = CustomerCipher(customer)
    values = {field: cipher.decrypt(field) for field in wanted}
    audit_record(
        actor=actor,
        action="customer.revealed",
        target=customer,
        reason=reason.strip(),
        details={"fields": wanted},
    )
    return values
