"""Session rules on every request, then the request's one Caller.

Idle expiry is the session's own (SESSION_COOKIE_AGE, renewed by each request). Here: a
session that is signed in without a verified factor is ended (no side door), and so is
one older than SESSION_ABSOLUTE_SECONDS since sign-in. What remains is a verified person
or nobody, attached as `request.caller` (ccplatform.callers) for everything downstream.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.callers import attach_request_caller
from accounts.models import User
from accounts.services.signin import signout
from ccplatform.gate import sign_in_response

SIGNED_IN_AT = "_ccp_signed_in_at"


def _expired(request: HttpRequest) -> bool:
    raw = request.session.get(SIGNED_IN_AT)
    if not isinstance(raw, str):
        return True
    try:
        signed_in_at = datetime.fromisoformat(raw)
    except ValueError:
        return True
    return (timezone.now() - signed_in_at).total_seconds() > settings.SESSION_ABSOLUTE_SECONDS


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            if not user.is_verified():  # type: ignore[attr-defined]
                signout(user=user, reason="no_verified_factor")
                logout(request)
                return sign_in_response(request)
            if _expired(request):
                signout(user=user, reason="absolute_timeout")
                logout(request)
                return sign_in_response(request)
        attach_request_caller(request)
        return self.get_response(request)
