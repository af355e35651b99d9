"""Key rotation of the customers' data: re-wrap their data keys under the active KEK,
recompute their lookups under the active blind-index key, and add a key version to the
embedded default's key file. Each of these is audited.

The jobs are registered with ccplatform.crypto.rotation (CustomersConfig.ready), whose
runner and Celery task drive them without the platform package importing customers or the
audit log; `manage.py rotate_keys` lives here for the same reason. Search keeps working
throughout: it looks digests up under every key version in the ring.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet

from accounts.actions import KEYS_REWRAPPED
from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from ccplatform.crypto.blind_index import NormalisationError, blind_index
from ccplatform.crypto.keyring import KEY_BYTES, KeyRing, KeyRingError, LocalKeyFile
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
from ccplatform.gate import require
from ccplatform.permissions import can_rotate_keys
from customers.actions import BLIND_INDEX_RECOMPUTED, KEY_VERSION_ADDED
from customers.crypto import CustomerCipher
from customers.models import Customer, CustomerLookup
from customers.services.records import LOOKUP_FIELDS


def _ring() -> KeyRing:
    ring: KeyRing = settings.BLIND_INDEX_KEYRING
    return ring


class CustomerDataKeyRewrap(DataKeyRewrap):
    """Customers' data keys (kept on their rows); the ids reported are customer ids."""

    name = "data_keys"
    label = "data keys"
    model = Customer

    def record_batch(self, *, caller: Caller, failed: bool, details: dict[str, object]) -> None:
        outcome = Outcome.FAILED if failed else Outcome.ALLOWED
        audit_record(actor=caller.actor, action=KEYS_REWRAPPED, outcome=outcome, details=details)


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
    def batch(self, *, caller: Caller, after: str | None, size: int) -> BatchOutcome:
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
            actor=caller.actor,
            action=BLIND_INDEX_RECOMPUTED,
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


def local_key_version_add(*, caller: Caller, kind: Kind) -> str:
    """Add a new key version, made active, to the embedded default's key file.

    Running processes keep the key ring they loaded: restart them all before rotating.
    """
    require(caller, can_rotate_keys(caller), resource=("keys", kind.value))
    with transaction.atomic():
        return _local_key_version_add(caller, kind)


def _local_key_version_add(caller: Caller, kind: Kind) -> str:
    if not settings.KEY_FILE.exists():
        # A new file would hold new keys only: everything written so far would be lost.
        raise KeyRingError(f"{settings.KEY_FILE} is missing; restore it from your backup")
    key_file = LocalKeyFile(settings.KEY_FILE)
    field_ring, blind_ring, _ = key_file.load_or_create()
    ring = field_ring if kind == Kind.KEK else blind_ring
    version = str(max(int(existing) for existing in ring.keys) + 1)
    grown = KeyRing(keys={**ring.keys, version: secrets.token_bytes(KEY_BYTES)}, active=version)
    # Audit row and file change stand or fall together: the row is written first (nothing
    # changes if it fails), and a failed file write rolls the row back.
    audit_record(
        actor=caller.actor,
        action=KEY_VERSION_ADDED,
        details={"ring": kind.value, "version": version, "where": "local key file"},
    )
    if kind == Kind.KEK:
        key_file.save(grown, blind_ring)
    else:
        key_file.save(field_ring, grown)
    return version
