"""Who may do what with customers: `can_*` predicates over the Caller.

The single source of each rule: the workspace pages, the API's permission classes
(customers.api.permissions), templates (`can.customers.<name>`) and the services and
selectors themselves ask these. Which records a caller reaches is the selector's scope
(customers.selectors); these say what the caller may do at all.

Rules marked `personal_data` show or change customers' personal data in plain text (reveal,
history, writes): the gate's PERSONAL_DATA requirements apply to them. Masked reads (list,
search, the masked record) are not among them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ccplatform.callers import Caller
from ccplatform.permissions import ANY, Decision, allow_if, check, first_refusal, rule
from ccplatform.scopes import Scope
from customers.fields import MEDICAL_FIELDS

if TYPE_CHECKING:
    from customers.models import Customer

MEDICAL_MESSAGE = "Medical fields need the medical permission."


@rule("customers.view")
def can_view_customers(caller: Caller) -> Decision:
    """List and search customers and open their masked records."""
    return check(caller, person="customers.view_customer", key=Scope.CUSTOMERS_READ)


@rule("customers.open_record")
def can_open_records(caller: Caller) -> Decision:
    """Ask for one record by id: any person or key; what it reaches is the selector's scope,
    so a caller without customer access (a compliance officer) gets the same audited 404
    as for a missing id."""
    return check(caller, person=ANY, key=ANY)


@rule("customers.read_history")
def can_read_history(caller: Caller) -> Decision:
    """A customer's notes and interactions (free text, shown in plain text)."""
    return check(
        caller, person="customers.view_customer", key=Scope.CUSTOMERS_READ, personal_data=True
    )


@rule("customers.reveal")
def can_reveal(caller: Caller) -> Decision:
    """Reveal masked fields, with a reason (integrators that may read may reveal too)."""
    return check(
        caller, person="customers.reveal_customer", key=Scope.CUSTOMERS_READ, personal_data=True
    )


@rule("customers.view_medical")
def can_view_medical(caller: Caller) -> Decision:
    """See medical fields at all (masked or revealed): people with the permission, never keys."""
    return check(caller, person="customers.view_medical", message=MEDICAL_MESSAGE)


@rule("customers.reveal_fields")
def can_reveal_fields(caller: Caller, fields: Iterable[str]) -> Decision:
    """Reveal these fields: medical ones also need the medical permission."""
    asked = set(fields)
    medical = can_view_medical(caller) if MEDICAL_FIELDS & asked else can_reveal(caller)
    return first_refusal(can_reveal(caller), medical)


@rule("customers.reveal_record")
def can_reveal_record(caller: Caller, customer: Customer) -> Decision:
    """Show anything of this customer in plain text (reveals, notes, interactions): not
    while the record is sealed (an incident's containment, a restriction), whoever asks;
    the field and history rules come first."""
    return allow_if(
        customer.sealed_at is None,
        "sealed",
        f"This record is sealed ({customer.sealed_by}); nothing is revealed until it is released.",
    )


@rule("customers.seal")
def can_seal_customers(caller: Caller) -> Decision:
    """Seal and release customers: the system, acting for an incident's containment (the
    person who asked for it is recorded by the incident)."""
    return check(caller, system=True)


@rule("customers.locate")
def can_locate_customers(caller: Caller) -> Decision:
    """Read customers' regions of residence from their addresses: the system, for the
    affected-customer counts of an incident."""
    return check(caller, system=True)


@rule("customers.create")
def can_create_customers(caller: Caller) -> Decision:
    """People with the permission, keys with customers:write, and the system (operators'
    scripts and data migrations)."""
    return check(
        caller,
        person="customers.add_customer",
        key=Scope.CUSTOMERS_WRITE,
        system=True,
        personal_data=True,
    )


@rule("customers.update")
def can_update_customers(caller: Caller) -> Decision:
    return check(
        caller,
        person="customers.change_customer",
        key=Scope.CUSTOMERS_WRITE,
        system=True,
        personal_data=True,
    )


@rule("customers.write_medical")
def can_write_medical(caller: Caller) -> Decision:
    """Set medical fields: people who may see them, and integrator keys that push them
    (keys never read them back)."""
    return check(
        caller,
        person="customers.view_medical",
        key=Scope.CUSTOMERS_WRITE,
        system=True,
        personal_data=True,
        message=MEDICAL_MESSAGE,
    )


@rule("customers.add_note")
def can_add_notes(caller: Caller) -> Decision:
    return check(caller, person="customers.add_note", key=Scope.CUSTOMERS_WRITE, personal_data=True)


@rule("customers.add_interaction")
def can_add_interactions(caller: Caller) -> Decision:
    return check(
        caller, person="customers.add_interaction", key=Scope.CUSTOMERS_WRITE, personal_data=True
    )


@rule("customers.import")
def can_import_customers(caller: Caller) -> Decision:
    """Bulk import from a file: an operator's command (the system)."""
    return check(caller, system=True)


@rule("customers.rescan")
def can_rescan_notes(caller: Caller) -> Decision:
    """Re-scan stored free text for card data: a command or the scheduled task."""
    return check(caller, system=True)
