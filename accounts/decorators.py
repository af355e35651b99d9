"""View decorators: who may open a browser page. Each declares its rule for the URL walk."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.middleware import sign_in_again
from accounts.models import User
from accounts.permissions import is_person
from audit.models import Outcome
from audit.services import AuditTarget, audit_record
from ccplatform.context import Actor
from ccplatform.permissions import declare_permission

ViewFunc = Callable[..., HttpResponse]


def person_required(permission: str | None = None) -> Callable[[ViewFunc], ViewFunc]:
    """A person signed in with both factors, holding `permission` when one is named.

    Anyone else is sent to sign in; a signed-in person without the permission gets 403
    and the attempt is audited.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not is_person(request.user):
                return sign_in_again(request)
            if permission and not request.user.has_perm(permission):
                assert isinstance(request.user, User)
                audit_record(
                    actor=Actor.user(request.user.pk),
                    action="access.denied",
                    target=AuditTarget("page", request.path[:64]),
                    outcome=Outcome.DENIED,
                    details={"permission": permission},
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return declare_permission(wrapped, permission or "person")

    return decorator
