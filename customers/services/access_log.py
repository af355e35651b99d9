"""Audit events of reads and refusals that belong to no write: what a caller saw or was denied.

Views call these instead of writing the audit log themselves, so one grep finds every event.
Each writes one event through audit_record, which is atomic itself.
"""

from __future__ import annotations

from audit.models import Outcome
from audit.services import audit_record
from ccplatform.context import Actor
from customers.models import Customer


def customers_listed(*, actor: Actor, customer_ids: list[str], page: int) -> None:
    """A page of the customer list was shown (masked)."""
    audit_record(
        actor=actor, action="customer.listed", details={"customers": customer_ids, "page": page}
    )


def customer_history_viewed(*, actor: Actor, customer: Customer, part: str, ids: list[str]) -> None:
    """The customer's notes or interactions were shown (`part` is "notes" or "interactions")."""
    audit_record(
        actor=actor, action=f"customer.{part}_viewed", target=customer, details={part: ids}
    )


def customer_reveal_denied(
    *, actor: Actor, customer: Customer, fields: list[str], why: str
) -> None:
    """A reveal was refused before the service ran (e.g. medical fields without permission)."""
    audit_record(
        actor=actor,
        action="customer.reveal_denied",
        target=customer,
        outcome=Outcome.DENIED,
        details={"why": why, "fields": fields},
    )


def customer_integrity_failed(*, actor: Actor, customer: Customer, operation: str) -> None:
    """A stored value failed its integrity check (tampered, moved or wrong key).

    Called after the failed operation's own transaction rolled back, so the event stays.
    """
    audit_record(
        actor=actor,
        action="customer.integrity_failed",
        target=customer,
        outcome=Outcome.FAILED,
        details={"operation": operation},
    )
