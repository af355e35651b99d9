"""What every customers API view shares: the audited integrity guard, the masked record as
the caller may see it, and the router that lets several one-operation views share a URL.
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

from ccplatform.callers import caller_of
from ccplatform.crypto.providers import DecryptionError
from customers.models import Customer
from customers.selectors import customer_record
from customers.services.access_log import customer_integrity_failed


@contextmanager
def integrity_checked(request: Request, customer: Customer, operation: str) -> Iterator[None]:
    """Record a failed decryption of `customer` as an audit event, then let it propagate.

    The API's exception handler answers it with a 409 `integrity_failure`. The event is
    written outside the service's transaction (which has rolled back), so it stays.
    """
    try:
        yield
    except DecryptionError:
        customer_integrity_failed(caller=caller_of(request), customer=customer, operation=operation)
        raise


def masked_record(request: Request, customer: Customer, operation: str) -> dict[str, Any]:
    """The customer as every response shows it (customers.selectors.customer_record)."""
    with integrity_checked(request, customer, operation):
        return customer_record(caller_of(request), customer)


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
