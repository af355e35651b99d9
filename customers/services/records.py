"""Customer records: create, update, view and reveal — each audited, no values logged.

Each service asks the predicates of customers.permissions about its caller (the gate
records a refusal); which customer a caller may reach was decided by the selector that gave
it the record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.selectors import Team, team_for
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.crypto.blind_index import (
    LookupKind,
    NormalisationError,
    blind_index_normalised,
    normalise,
)
from ccplatform.crypto.data_keys import data_key_new
from ccplatform.errors import RateLimitError, ServiceError
from ccplatform.gate import require
from ccplatform.redaction import mask_card_numbers, redact_card_data
from customers.actions import (
    CUSTOMER_CREATED,
    CUSTOMER_REVEAL_REFUSED,
    CUSTOMER_REVEALED,
    CUSTOMER_UPDATED,
    CUSTOMER_VIEWED,
)
from customers.crypto import CustomerCipher
from customers.fields import FIELDS, MEDICAL_FIELDS, REVEALABLE, Kind
from customers.models import Customer, CustomerLookup
from customers.permissions import (
    can_create_customers,
    can_reveal_fields,
    can_reveal_record,
    can_update_customers,
    can_view_customers,
    can_write_medical,
)

LOOKUP_FIELDS = {
    "phones": LookupKind.PHONE,
    "emails": LookupKind.EMAIL,
    "account_number": LookupKind.ACCOUNT_NUMBER,
}


class RevealLimitError(RateLimitError):
    """Too many reveals in a short time (a burst is itself a warning sign): 429."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many reveals; try again in {retry_after} seconds.", retry_after=retry_after
        )


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


def _require_medical_writable(caller: Caller, values: Mapping[str, Any], resource: Any) -> None:
    if MEDICAL_FIELDS & {name for name, value in values.items() if value not in (None, "")}:
        require(caller, can_write_medical(caller), resource=resource)


def customer_create(
    *,
    caller: Caller,
    team_id: object,
    values: Mapping[str, Any],
    assigned_to: Iterable[User] = (),
) -> Customer:
    """Create a customer in one of the caller's teams (any team for keys and the system).

    Medical fields can be set only by callers who may write them (people who may see them,
    and integrator keys).
    """
    require(caller, can_create_customers(caller), resource=("customers.customer", "new"))
    _require_medical_writable(caller, values, ("customers.customer", "new"))
    team = team_for(caller, str(team_id))
    if team is None:
        message = "Choose one of your teams." if caller.is_person else "No such team."
        raise ServiceError(message, fields={"team": [message]})
    with transaction.atomic():
        return _customer_create(caller, team, values, assigned_to)


def _customer_create(
    caller: Caller, team: Team, values: Mapping[str, Any], assigned_to: Iterable[User]
) -> Customer:
    customer, lookups = customer_build(team=team, values=values)
    customer.save(force_insert=True)
    CustomerLookup.objects.bulk_create(lookups)
    assignees = list(assigned_to)
    if assignees:
        customer.assigned_to.set(assignees)
    audit_record(
        actor=caller.actor,
        action=CUSTOMER_CREATED,
        target=customer,
        details={
            "fields": sorted(k for k, v in values.items() if v not in (None, "", [])),
            "team": str(team.pk),
        },
    )
    return customer


def customer_update(*, caller: Caller, customer: Customer, values: Mapping[str, Any]) -> Customer:
    """Change some fields; lookups of changed searchable fields are rebuilt.

    Medical fields can be written (or cleared) only by callers who may write them.
    """
    require(caller, can_update_customers(caller), resource=customer)
    if MEDICAL_FIELDS & set(values):
        require(caller, can_write_medical(caller), resource=customer)
    if not values:
        raise ServiceError("Nothing to change.")
    with transaction.atomic():
        return _customer_update(caller, customer, values)


def _customer_update(caller: Caller, customer: Customer, values: Mapping[str, Any]) -> Customer:
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
        actor=caller.actor,
        action=CUSTOMER_UPDATED,
        target=customer,
        details={"fields": sorted(clean)},
    )
    return customer


def customer_viewed(*, caller: Caller, customer: Customer) -> None:
    """Record that a customer's (masked) record was opened."""
    require(caller, can_view_customers(caller), resource=customer)
    audit_record(actor=caller.actor, action=CUSTOMER_VIEWED, target=customer)


def _reveal_allowance(caller: Caller) -> None:
    rate = settings.REVEAL_RATE  # parsed and checked at start (ccplatform.config.Rate)
    now = int(timezone.now().timestamp())
    key = f"ccplatform:reveals:{caller.actor}:{now // rate.seconds}"
    cache.add(key, 0, timeout=rate.seconds)
    if cache.incr(key) > rate.count:
        raise RevealLimitError(retry_after=rate.seconds - now % rate.seconds)


@transaction.atomic
def _record_reveal_refused(caller: Caller, customer: Customer, fields: list[str]) -> None:
    audit_record(
        actor=caller.actor,
        action=CUSTOMER_REVEAL_REFUSED,
        target=customer,
        outcome=Outcome.DENIED,
        details={"fields": fields, "why": "reveal_rate"},
    )


def customer_reveal(
    *, caller: Caller, customer: Customer, fields: Iterable[str], reason: str
) -> dict[str, Any]:
    """Plaintext of the asked fields only, with a reason; who, whom, which fields and why.

    Not one transaction as a whole: a refusal (a field the caller may not see, over
    REVEAL_RATE) is recorded even though the caller gets an error (403, 429).
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
    require(caller, can_reveal_fields(caller, wanted), resource=customer)
    require(caller, can_reveal_record(caller, customer), resource=customer)
    try:
        _reveal_allowance(caller)
    except RevealLimitError:
        _record_reveal_refused(caller, customer, wanted)
        raise
    return _reveal_values(caller=caller, customer=customer, fields=wanted, reason=reason)


@transaction.atomic
def _reveal_values(
    *, caller: Caller, customer: Customer, fields: list[str], reason: str
) -> dict[str, Any]:
    wanted = fields
    cipher = CustomerCipher(customer)
    values = {field: cipher.decrypt(field) for field in wanted}
    audit_record(
        actor=caller.actor,
        action=CUSTOMER_REVEALED,
        target=customer,
        reason=reason.strip(),
        details={"fields": wanted},
    )
    return values
