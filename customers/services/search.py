"""Exact-match search by phone, email or account number, through the blind index only."""

from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.crypto.blind_index import LookupKind, NormalisationError, search_digests
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from customers.actions import CUSTOMER_SEARCHED
from customers.models import Customer
from customers.permissions import can_view_customers
from customers.selectors import customers_visible_to

SEARCH_LIMIT = 50


def customers_search(*, caller: Caller, kind: LookupKind | str, value: str) -> list[Customer]:
    """Customers the caller may see with exactly this phone/email/account number (at most
    SEARCH_LIMIT). Never decrypts; audited with the kind and the ids found, never the value."""
    require(caller, can_view_customers(caller), resource=("customers.customer", "search"))
    try:
        kind = LookupKind(kind)
        digests = search_digests(kind, value)
    except ValueError as error:
        message = str(error) if isinstance(error, NormalisationError) else "Unknown search kind."
        raise ServiceError(
            message,
            fields={"value" if isinstance(error, NormalisationError) else "kind": [message]},
        ) from None
    visible = customers_visible_to(caller)
    with transaction.atomic():
        found = list(
            visible.filter(lookups__kind=kind, lookups__digest__in=digests).distinct()[
                :SEARCH_LIMIT
            ]
        )
        audit_record(
            actor=caller.actor,
            action=CUSTOMER_SEARCHED,
            details={
                "kind": kind.value,
                "results": len(found),
                "customers": [str(c.pk) for c in found],
            },
        )
    return found
