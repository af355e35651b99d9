"""Who may do what in accounts, as `can_*` predicates, and the API permission classes.

Views, the API, the admin and templates all ask these functions; a DRF permission class
is a thin wrapper that also records a denied attempt in the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import ServiceAPIKey, User
from audit.models import Outcome
from audit.services import AuditTarget, audit_record
from ccplatform.context import Actor

AnyUser = User | AnonymousUser


def is_person(user: AnyUser) -> bool:
    """A signed-in human whose second factor is verified in this session."""
    return (
        isinstance(user, User)
        and user.is_active
        and not user.is_service_account
        and bool(getattr(user, "is_verified", lambda: False)())
    )


def can_manage_users(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("accounts.assign_role")


def can_unlock_users(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("accounts.unlock_user")


def can_reset_mfa(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("accounts.reset_mfa")


def can_manage_api_keys(user: AnyUser) -> bool:
    return is_person(user) and user.has_perm("accounts.manage_api_keys")


def actor_for(request: Request) -> Actor:
    """The audit actor of an API request: the key when one authenticated, else the user."""
    if isinstance(request.auth, ServiceAPIKey):
        return Actor.api_key(request.auth.prefix)
    return Actor.user(request.user.pk)


def record_denied(request: Request, view: Any, why: str) -> None:
    """Audit a refused API request by an authenticated caller (anonymous ones are only logged)."""
    if not request.user or not request.user.is_authenticated:
        return
    audit_record(
        actor=actor_for(request),
        action="access.denied",
        target=AuditTarget("api", f"{request.method} {request.path}"[:64]),
        outcome=Outcome.DENIED,
        details={"view": type(view).__name__, "why": why},
    )


class PeopleOnly(BasePermission):
    """A verified person; API keys are refused (a key never acts as a person)."""

    message = "This endpoint is for people signed in with both factors, not API keys."

    def has_permission(self, request: Request, view: Any) -> bool:
        allowed = is_person(request.user) and not isinstance(request.auth, ServiceAPIKey)
        if not allowed:
            record_denied(request, view, "not_a_person")
        return allowed


class ScopeOrPermission(BasePermission):
    """An API key holding `scope`, or a verified person holding `permission`.

    Subclass and set both: `class CustomersRead(ScopeOrPermission): scope = ...`.
    """

    scope: str = ""
    permission: str = ""
    message = "You do not have permission to do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ServiceAPIKey):
            allowed = request.auth.has_scope(self.scope)
            why = f"missing_scope:{self.scope}"
        else:
            allowed = is_person(request.user) and request.user.has_perm(self.permission)
            why = f"missing_permission:{self.permission}"
        if not allowed:
            record_denied(request, view, why)
        return allowed
