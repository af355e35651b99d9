"""Sealing customers: nothing of a sealed record is revealed until it is released.

An incident's containment seals the customers a breach reached; a restriction of processing
will seal one customer. A seal names why ("incident INC-2026-0004"), never a person's data;
each call records one audit event with the ids it sealed or released.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from customers.actions import CUSTOMERS_RELEASED, CUSTOMERS_SEALED
from customers.models import Customer
from customers.permissions import can_seal_customers


def _ids(customer_ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    try:
        return sorted({uuid.UUID(str(value)) for value in customer_ids})
    except ValueError:
        raise ServiceError(
            "Name customers by their ids.", fields={"customers": ["Not a customer id."]}
        ) from None


def _why(why: str) -> str:
    if not why.strip():
        raise ServiceError("Say why.", fields={"why": ["This field is required."]})
    return why.strip()[:100]


def customers_seal(*, caller: Caller, customer_ids: Iterable[uuid.UUID | str], why: str) -> int:
    """Seal these customers (those already sealed keep their seal); how many were sealed."""
    require(caller, can_seal_customers(caller), resource=("customers.customer", "seal"))
    ids, why = _ids(customer_ids), _why(why)
    with transaction.atomic():
        open_ids = list(
            Customer.objects.filter(pk__in=ids, sealed_at__isnull=True).values_list("pk", flat=True)
        )
        Customer.objects.filter(pk__in=open_ids).update(sealed_at=timezone.now(), sealed_by=why)
        audit_record(
            actor=caller.actor,
            action=CUSTOMERS_SEALED,
            reason=why,
            details={"sealed": sorted(map(str, open_ids)), "asked": len(ids)},
        )
    return len(open_ids)


def customers_release(
    *,
    caller: Caller,
    customer_ids: Iterable[uuid.UUID | str],
    why: str,
    only_sealed_by: str = "",
) -> int:
    """Release the seals of these customers (with `only_sealed_by`, only the seals placed
    for that reason: an incident lifts its own, not a restriction's); how many."""
    require(caller, can_seal_customers(caller), resource=("customers.customer", "release"))
    ids, why = _ids(customer_ids), _why(why)
    with transaction.atomic():
        sealed_ones = Customer.objects.filter(pk__in=ids, sealed_at__isnull=False)
        if only_sealed_by:
            sealed_ones = sealed_ones.filter(sealed_by=only_sealed_by)
        sealed = list(sealed_ones.values_list("pk", flat=True))
        Customer.objects.filter(pk__in=sealed).update(sealed_at=None, sealed_by="")
        audit_record(
            actor=caller.actor,
            action=CUSTOMERS_RELEASED,
            reason=why,
            details={"released": sorted(map(str, sealed)), "asked": len(ids)},
        )
    return len(sealed)
