"""Session rules on every request: a verified second factor, and the absolute lifetime.

Idle expiry is the session's own (SESSION_COOKIE_AGE, renewed by each request). Here: a
session that is signed in without a verified factor is ended (no side door), and so is
one older than SESSION_ABSOLUTE_SECONDS since sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from accounts.services.signin import signout
from ccplatform.errors import error_body

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


def sign_in_again(request: HttpRequest) -> HttpResponse:
    """401 for the API, a redirect to the sign-in page (coming back here) for the browser."""
    if request.path.startswith("/api/"):
        body = error_body("not_authenticated", "Sign in again.", request)
        return JsonResponse(body, status=401)
    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
    return HttpResponseRedirect(
        f"{reverse('accounts:login')}?{query}" if query else reverse("accounts:login")
    )


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            if not user.is_verified():  # type: ignore[attr-defined]
                signout(user=user, reason="no_verified_factor")
                logout(request)
                return sign_in_again(request)
            if _expired(request):
                signout(user=user, reason="absolute_timeout")
                logout(request)
                return sign_in_again(request)
        return self.get_response(request)
