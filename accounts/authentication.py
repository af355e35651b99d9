"""How API callers prove who they are: an integrator's API key, or a verified browser session.

A key is accepted only in the `Authorization: Api-Key <key>` header; a key in the query
string would end up in proxy logs and browser history, so such a request is refused even
when a valid header is present. A session counts only after both sign-in steps.

A key that authenticates becomes the request's Caller (ccplatform.callers): the session
middleware attached the session's caller before the view, and the key's replaces it.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from accounts.callers import caller_for_key
from accounts.models import ServiceAPIKey, User
from accounts.services.api_keys import api_key_use_denied
from ccplatform.callers import attach_caller

KEYWORD = "Api-Key"
QUERY_KEY_NAMES = frozenset({"api_key", "apikey", "api-key", "key", "token", "access_token"})
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ServiceAPIKey] | None:
        if QUERY_KEY_NAMES & {name.lower() for name in request.query_params}:
            api_key_use_denied(prefix="", why="key_in_query_string")
            raise exceptions.AuthenticationFailed(
                "API keys are not accepted in the URL. Send them in the header "
                "'Authorization: Api-Key <key>'."
            )
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _, key = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():  # auth schemes are case-insensitive (RFC 9110)
            return None
        key = key.strip()
        prefix = key.partition(".")[0][:8]
        api_key = ServiceAPIKey.objects.select_related("user").filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(key):
            api_key_use_denied(prefix="", why="unknown_key")
            raise exceptions.AuthenticationFailed("The API key is not valid.")
        if api_key.revoked:
            api_key_use_denied(prefix=prefix, why="revoked")
            raise exceptions.AuthenticationFailed("The API key has been revoked.")
        if api_key.has_expired:
            api_key_use_denied(prefix=prefix, why="expired")
            raise exceptions.AuthenticationFailed("The API key has expired.")
        user = api_key.user
        if not user.is_active or not user.is_service_account:
            api_key_use_denied(prefix=prefix, why="account_disabled")
            raise exceptions.AuthenticationFailed("The API key's service account is disabled.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ServiceAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        attach_caller(request._request, caller_for_key(api_key))
        return user, api_key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class VerifiedSessionAuthentication(SessionAuthentication):
    """Django's session, with CSRF checks, accepted only once the second factor is verified."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if not getattr(user, "is_verified", lambda: False)():
            return None
        return result
