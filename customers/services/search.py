"""Exact-match search by phone, email or account number, through the blind index only."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from audit.services import audit_record
from ccplatform.context import Actor
from ccplatform.crypto.blind_index import LookupKind, NormalisationError, search_digests
from ccplatform.errors import ServiceError
from customers.models import Customer


@transaction.atomic
def customers_search(
    *, actor: Actor, visible: QuerySet[Customer], kind: LookupKind | str, value: str
) -> list[Customer]:
    """Customers among `visible` with exactly this phone/email/account number. Never decrypts."""
    try:
        kind = LookupKind(kind)
        digests = search_digests(kind, value)
    except ValueError as error:
        message = str(error) if isinstance(error, NormalisationError) else "Unknown search kind."
        raise ServiceError(
            message,
            fields={"value" if isinstance(error, NormalisationError) else "kind": [message]},
        ) from None
    found = list(visible.filter(lookups__kind=kind, lookups__digest__in=digests).distinct()[:50])
    audit_record(
        actor=actor,
        action="customer.searched",
        details={
            "kind": kind.value,
            "results": len(found),
            "customers": [str(c.pk) for c in found],
        },
    )
    return found
