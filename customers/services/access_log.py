"""Audit events of reads that belong to no write: what a caller saw, and stored data that
failed its integrity check.

Views call these instead of writing the audit log themselves, so one grep finds every event.
Each writes one event through audit_record, which is atomic itself. Refusals are not here:
the gate (ccplatform.gate) records every one of them as `access.denied`.
"""

from __future__ import annotations

from audit.services import Outcome, audit_record
from ccplatform.callers import Caller
from customers.actions import CUSTOMER_INTEGRITY_FAILED, CUSTOMER_LISTED, HISTORY_VIEWED
from customers.models import Customer


def customers_listed(*, caller: Caller, customer_ids: list[str], page: int) -> None:
    """A page of the customer list was shown (masked)."""
    audit_record(
        actor=caller.actor,
        action=CUSTOMER_LISTED,
        details={"customers": customer_ids, "page": page},
    )


def customer_history_viewed(
    *, caller: Caller, customer: Customer, part: str, ids: list[str]
) -> None:
    """The customer's notes or interactions were shown (`part` is "notes" or "interactions")."""
    audit_record(
        actor=caller.actor, action=HISTORY_VIEWED[part], target=customer, details={part: ids}
    )


def customer_integrity_failed(*, caller: Caller, customer: Customer, operation: str) -> None:
    """A stored value failed its integrity check (tampered, moved or wrong key).

    Called after the failed operation's own transaction rolled back, so the event stays.
    """
    audit_record(
        actor=caller.actor,
        action=CUSTOMER_INTEGRITY_FAILED,
        target=customer,
        outcome=Outcome.FAILED,
        details={"operation": operation},
    )
