"""Who may do what with customers: `can_*` predicates and the API permission classes."""

from __future__ import annotations

from accounts.models.api_keys import Scope
from accounts.permissions import AnyUser, ScopeOrPermission, is_person


def can_view_customers(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("customers.view_customer")


def can_reveal(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("customers.reveal_customer")


def can_view_medical(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("customers.view_medical")


def can_write_customers(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("customers.change_customer")


class CustomersRead(ScopeOrPermission):
    scope = Scope.CUSTOMERS_READ
    permission = "customers.view_customer"


class CustomersWrite(ScopeOrPermission):
    scope = Scope.CUSTOMERS_WRITE
    permission = "customers.change_customer"


class CustomersReveal(ScopeOrPermission):
    # Integrators that may read may also reveal (always with a reason, always audited).
    scope = Scope.CUSTOMERS_READ
    permission = "customers.reveal_customer"
