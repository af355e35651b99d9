"""Who may use the audit log's pages and API, and how a refusal is itself recorded.

The audit app depends only on ccplatform, so these gates use what Django and DRF provide
(the session user, its permissions and second-factor state; an API key as `request.auth`)
rather than the accounts app's helpers. Their rules are the same: a person signed in with
both factors holding the permission, or an API key holding the scope.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, runtime_checkable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from audit.models import Outcome
from audit.services import AuditTarget, audit_record
from ccplatform.context import Actor
from ccplatform.permissions import declare_permission

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


@runtime_checkable
class ScopedKey(Protocol):
    """What the API-key authentication puts in `request.auth`."""

    prefix: str

    def has_scope(self, scope: str) -> bool: ...


def is_verified_person(user: Any) -> bool:
    """Signed in, active, not a service account, second factor verified in this session."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and not getattr(user, "is_service_account", False)
        and getattr(user, "is_verified", lambda: False)()
    )


def actor_of(request: HttpRequest | Request) -> Actor:
    auth = getattr(request, "auth", None)
    if isinstance(auth, ScopedKey):
        return Actor.api_key(auth.prefix)
    return Actor.user(request.user.pk)


def record_refusal(request: HttpRequest | Request, why: str) -> None:
    """Audit a refused request by an authenticated caller (anonymous ones are only logged)."""
    if not request.user or not request.user.is_authenticated:
        return
    audit_record(
        actor=actor_of(request),
        action="access.denied",
        target=AuditTarget(
            "page" if not request.path.startswith("/api/") else "api",
            f"{request.method} {request.path}"[:64],
        ),
        outcome=Outcome.DENIED,
        details={"why": why},
    )


def compliance_page(permission: str) -> Callable[[ViewFunc], ViewFunc]:
    """A page for a verified person holding `permission`; others sign in or get 403."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not is_verified_person(request.user):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not request.user.has_perm(permission):
                record_refusal(request, f"missing_permission:{permission}")
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return declare_permission(wrapped, permission)  # type: ignore[return-value]

    return decorator


class AuditApiAccess(BasePermission):
    """An API key holding `scope`, or a verified person holding `permission`.

    Subclass and set both, e.g. `class EventsRead(AuditApiAccess): scope = "audit:read"`.
    """

    scope: str = ""
    permission: str = ""
    message = "You do not have permission to do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, ScopedKey):
            allowed = bool(self.scope) and request.auth.has_scope(self.scope)
            why = f"missing_scope:{self.scope}" if self.scope else "people_only"
        else:
            allowed = is_verified_person(request.user) and request.user.has_perm(self.permission)
            why = f"missing_permission:{self.permission}"
        if not allowed:
            record_refusal(request, why)
        return allowed
