"""The one gate: how a refusal by a `can_*` predicate is enforced and recorded, whatever the
entry point.

- `page(predicate)` wraps a browser view, `api(predicate)` makes a DRF permission class,
  and services call `require(caller, decision, resource=...)` themselves; all three ask the
  same predicate and refuse the same way.
- Nobody signed in: a browser is sent to sign in (and back), the API answers 401. Signed in
  and refused: 403 with the rule's message, pages and API alike (AccessDeniedError, rendered by
  ccplatform.errors). A record the caller may not see answers like a missing one (`hidden`,
  404).
- Every refusal of a known caller is recorded by one denial recorder, in one shape
  (`{rule, via, resource, why}`). The recorder is the audit log's; it is installed by the
  audit app when Django starts (this package sits below every app), and a refusal with no
  recorder installed is an error, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar, NoReturn, Protocol

import structlog
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ccplatform.callers import Caller, caller_of
from ccplatform.errors import AccessDeniedError, error_body, is_api
from ccplatform.permissions import Decision, declare_permission, rule_name

log = structlog.get_logger(__name__)

# What a refusal was about: a record, a (type, id) pair, or an entry point ("GET /path").
type Resource = Model | tuple[str, str] | str


class DenialRecorder(Protocol):
    def __call__(self, caller: Caller, decision: Decision, resource: Resource) -> None: ...


_recorder: list[DenialRecorder] = []


def install_denial_recorder(recorder: DenialRecorder) -> None:
    """Called once by the audit app (AppConfig.ready): refusals are audit events."""
    _recorder[:] = [recorder]


def record_denial(caller: Caller, decision: Decision, *, resource: Resource) -> None:
    """Record that `caller` was refused by `decision`; anonymous callers are only logged."""
    if decision:
        raise ValueError("record_denial was given an allowing decision")
    if caller.is_anonymous:
        log.info("access.denied", rule=decision.rule, why=decision.why, via=str(caller.via))
        return
    if not _recorder:
        raise RuntimeError("No denial recorder is installed (is the audit app installed?)")
    _recorder[0](caller, decision, resource)


def require(caller: Caller, decision: Decision, *, resource: Resource) -> None:
    """Go on if allowed; otherwise record the refusal and raise AccessDeniedError (403).

    Call it before opening the service's transaction: a refusal inside one would be rolled
    back together with its record.
    """
    if not decision:
        record_denial(caller, decision, resource=resource)
        raise AccessDeniedError(decision)


def hidden(caller: Caller, *, rule: str, resource: Resource) -> NoReturn:
    """A record the caller may not see, or that does not exist: recorded, then 404 alike."""
    refusal = Decision(False, rule=rule, why="outside_scope_or_missing")
    record_denial(caller, refusal, resource=resource)
    raise Http404


def entry_point(request: HttpRequest) -> str:
    return f"{request.method} {request.path}"


def sign_in_response(request: HttpRequest) -> HttpResponse:
    """401 for the API; for the browser, the sign-in page, coming back here after a GET."""
    if is_api(request):
        return JsonResponse(error_body("not_authenticated", "Sign in again.", request), status=401)
    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
    login = reverse("accounts:login")
    return HttpResponseRedirect(f"{login}?{query}" if query else login)


# --- Browser pages -------------------------------------------------------------------------

type Predicate = Callable[[Caller], Decision]


def page[**P](
    predicate: Predicate,
) -> Callable[[Callable[P, HttpResponseBase]], Callable[P, HttpResponseBase]]:
    """A page for callers `predicate` allows. Nobody signed in: sign in first. Refused: 403."""
    name = rule_name(predicate)

    def decorator(view: Callable[P, HttpResponseBase]) -> Callable[P, HttpResponseBase]:
        @wraps(view)
        def gated(*args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            request = args[0]
            assert isinstance(request, HttpRequest)
            caller = caller_of(request)
            decision = predicate(caller)
            if not decision:
                if caller.is_anonymous:
                    record_denial(caller, decision, resource=entry_point(request))
                    return sign_in_response(request)
                require(caller, decision, resource=entry_point(request))
            return view(*args, **kwargs)

        return declare_permission(gated, name)

    return decorator


# --- The API ---------------------------------------------------------------------------------


class GatePermission(BasePermission):
    """A DRF permission class that asks one predicate; made by `api(predicate)`.

    Nobody authenticated: 401. Refused: 403 with the rule's message. Either way recorded.
    """

    predicate: ClassVar[Predicate]

    def has_permission(self, request: Request, view: Any) -> bool:
        caller = caller_of(request)
        decision = type(self).predicate(caller)
        if decision:
            return True
        if caller.is_anonymous:
            record_denial(caller, decision, resource=entry_point(request))
            raise exceptions.NotAuthenticated()
        require(caller, decision, resource=entry_point(request))
        return False  # pragma: no cover - require raised


_API_PERMISSIONS: dict[str, type[GatePermission]] = {}


def api(predicate: Predicate) -> type[GatePermission]:
    """The DRF permission class of `predicate` (one class per rule, made once)."""
    name = rule_name(predicate)
    if name not in _API_PERMISSIONS:
        class_name = "Gate_" + name.replace(".", "_").replace(":", "_")
        _API_PERMISSIONS[name] = type(
            class_name,
            (GatePermission,),
            {"predicate": staticmethod(predicate), "__module__": __name__, "rule": name},
        )
    return _API_PERMISSIONS[name]
