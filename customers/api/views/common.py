"""What every customers API view shares: who calls, the audited integrity guard, the
masked shape of a record, and the router that lets several one-operation views share a URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import ServiceAPIKey, User
from accounts.permissions import actor_for
from ccplatform.crypto.providers import DecryptionError
from customers.models import Customer
from customers.permissions import can_view_medical
from customers.selectors import Caller
from customers.services.access_log import customer_integrity_failed
from customers.services.records import customer_masked


def caller_of(request: Request) -> Caller:
    """The selectors' caller: the API key when one authenticated, else the person."""
    if isinstance(request.auth, ServiceAPIKey):
        return request.auth
    user = request.user
    assert isinstance(user, User)  # every view's permission class refuses anonymous callers
    return user


def sees_medical(request: Request) -> bool:
    """Medical fields need the medical permission; API keys never get them."""
    return not isinstance(request.auth, ServiceAPIKey) and can_view_medical(request.user)


@contextmanager
def integrity_checked(request: Request, customer: Customer, operation: str) -> Iterator[None]:
    """Record a failed decryption of `customer` as an audit event, then let it propagate.

    The API's exception handler answers it with a 409 `integrity_failure`. The event is
    written outside the service's transaction (which has rolled back), so it stays.
    """
    try:
        yield
    except DecryptionError:
        customer_integrity_failed(actor=actor_for(request), customer=customer, operation=operation)
        raise


def masked_record(request: Request, customer: Customer, operation: str) -> dict[str, Any]:
    """The customer as every response shows it: ids and times plus masked personal fields."""
    with integrity_checked(request, customer, operation):
        masked = customer_masked(customer, include_medical=sees_medical(request))
    return {
        "id": customer.pk,
        "team": customer.team_id,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        **masked,
    }


class SharedUrl(APIView):
    """One URL served by several one-operation views (STYLE §3), each with its own checks.

    A subclass lists the operation views as its bases; a request is handed to the view that
    defines its HTTP method, so that view's permission classes, input serializer and
    throttles apply, run once. The combined class exists for the URL conf and the schema,
    which read the operations' handlers and their documentation through inheritance;
    methods none of them serves (and OPTIONS) fall back to the combined class itself.
    """

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        handlers: dict[str, Callable[..., HttpResponseBase]] = {}
        for base in cls.__bases__:
            if not issubclass(base, APIView) or base is SharedUrl:
                continue
            view = base.as_view(**initkwargs)
            for method in base.http_method_names:
                if method != "options" and method in vars(base):
                    handlers[method] = view
        if "get" in handlers:  # HEAD is a GET without the body, with the same checks
            handlers.setdefault("head", handlers["get"])
        fallback = super().as_view(**initkwargs)

        def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            handler = handlers.get((request.method or "").lower(), fallback)
            return handler(request, *args, **kwargs)

        # What URL walkers, the schema generator and Django's middleware look for on a view.
        for name in ("cls", "view_class", "initkwargs", "view_initkwargs", "login_required"):
            setattr(dispatch, name, getattr(fallback, name))
        return csrf_exempt(dispatch)
