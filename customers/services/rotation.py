"""Key rotation for customers: re-wrap their data keys under the active KEK, and recompute
their lookups under the active blind-index key.

Registered with ccplatform.crypto.rotation (CustomersConfig.ready), so `manage.py rotate_keys`
and its Celery task run them without the platform package importing customers. Search keeps
working throughout: it looks digests up under every key version in the ring.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet

from audit.models import Outcome
from audit.services import audit_record
from ccplatform.context import Actor
from ccplatform.crypto.blind_index import NormalisationError, blind_index
from ccplatform.crypto.keyring import KeyRing
from ccplatform.crypto.providers import DecryptionError
from ccplatform.crypto.rotation import (
    REPORT_ID_LIMIT,
    BatchOutcome,
    DataKeyRewrap,
    Kind,
    RotationJob,
    VersionReport,
    by_version,
)
from customers.crypto import CustomerCipher
from customers.models import Customer, CustomerLookup
from customers.services.records import LOOKUP_FIELDS


def _ring() -> KeyRing:
    ring: KeyRing = settings.BLIND_INDEX_KEYRING
    return ring


class CustomerDataKeyRewrap(DataKeyRewrap):
    """Customers' data keys (kept on their rows) wrapped under a retired KEK version."""

    name = "data_keys"
    model = Customer


def _lookups_now(customer: Customer) -> list[CustomerLookup]:
    """The customer's lookups under the active key, from their decrypted values."""
    cipher = CustomerCipher(customer)
    rows: dict[tuple[str, str], CustomerLookup] = {}
    for field, kind in LOOKUP_FIELDS.items():
        value = cipher.decrypt(field)
        for item in value if isinstance(value, list) else [value] if value else []:
            version, digest = blind_index(kind, str(item))
            rows[(kind, digest)] = CustomerLookup(
                customer=customer, kind=kind, digest=digest, key_version=version
            )
    return list(rows.values())


class CustomerLookupRecompute(RotationJob):
    """Customers with lookups under a retired blind-index key get all of them recomputed."""

    name = "customer_lookups"
    kind = Kind.BLIND_INDEX
    label = "customers' search lookups"
    verb = "recomputed"

    def _retired_lookups(self) -> QuerySet[CustomerLookup]:
        return CustomerLookup.objects.exclude(key_version=_ring().active)

    def _customers(self) -> QuerySet[Customer]:
        return Customer.objects.filter(
            pk__in=self._retired_lookups().values("customer_id")
        ).order_by("pk")

    def pending(self) -> int:
        return self._customers().count()

    @transaction.atomic
    def batch(self, *, actor: Actor, after: str | None, size: int) -> BatchOutcome:
        # Locked, so an update of the same customer (which rewrites its lookups) waits
        # instead of racing with the recomputed rows.
        customers = self._customers().select_for_update(of=("self",))
        if after is not None:
            customers = customers.filter(pk__gt=after)
        batch = list(customers[:size])
        if not batch:
            return BatchOutcome(seen=0, rotated=0, failed=[], last=after)
        done: list[Customer] = []
        new_rows: list[CustomerLookup] = []
        failed: list[str] = []
        for customer in batch:
            try:
                new_rows += _lookups_now(customer)
            except (DecryptionError, NormalisationError):
                # Left on the old digests (still searchable), named in the audit and report.
                failed.append(str(customer.pk))
            else:
                done.append(customer)
        CustomerLookup.objects.filter(customer__in=done).delete()
        CustomerLookup.objects.bulk_create(new_rows)
        audit_record(
            actor=actor,
            action="keys.blind_index_recomputed",
            outcome=Outcome.FAILED if failed else Outcome.ALLOWED,
            details={
                "key_version": _ring().active,
                "customers": len(done),
                "lookups": len(new_rows),
                "failed": len(failed),
                "failed_customers": failed,
                "first_id": str(batch[0].pk),
                "last_id": str(batch[-1].pk),
            },
        )
        return BatchOutcome(
            seen=len(batch), rotated=len(done), failed=failed, last=str(batch[-1].pk)
        )

    def report(self, *, limit: int = REPORT_ID_LIMIT) -> VersionReport:
        counts = {
            row["key_version"]: row["rows"]
            for row in CustomerLookup.objects.values("key_version").annotate(rows=Count("id"))
        }
        customers = self._customers()
        return VersionReport(
            label="customer search lookups (blind index)",
            unit="lookups",
            active=_ring().active,
            ring=by_version(_ring().keys),
            counts=counts,
            retired_total=customers.count(),
            retired_unit="customers",
            retired_ids=[str(pk) for pk in customers.values_list("pk", flat=True)[:limit]],
        )
