"""Who may do what with customers: `can_*` predicates and the API permission classes."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import ServiceAPIKey
from accounts.models.api_keys import Scope
from accounts.permissions import AnyUser, ScopeOrPermission, is_person, record_denied


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


class CustomerRecordAccess(BasePermission):
    """A verified person or an API key; which records it reaches, the scoped selector decides.

    For a single record, a caller without customer access (a compliance officer, a security
    admin) gets the same audited 404 as for a missing id: a record the caller may not see
    looks missing, whoever asks.
    """

    message = "You do not have permission to do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        allowed = isinstance(request.auth, ServiceAPIKey) or is_person(request.user)
        if not allowed:
            record_denied(request, view, "not_a_verified_person_or_key")
        return allowed
