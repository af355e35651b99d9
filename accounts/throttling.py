"""Rate limits: sign-in attempts per client address, and API calls per key."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ServiceAPIKey
from ccplatform.context import client_ip


def signin_retry_after(request: HttpRequest) -> int | None:
    """Count a sign-in attempt from this address; seconds to wait if over the limit, else None.

    A fixed window in the shared cache, in front of the per-account lockout, so one address
    cannot cycle through many accounts.
    """
    window = settings.SIGNIN_IP_WINDOW_SECONDS
    now = int(time.time())
    bucket = now // window
    key = f"ccplatform:signin-ip:{client_ip(request) or 'unknown'}:{bucket}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > settings.SIGNIN_IP_LIMIT:
        return (bucket + 1) * window - now
    return None


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (each integrator gets its own allowance)."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not isinstance(request.auth, ServiceAPIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class PersonRateThrottle(SimpleRateThrottle):
    """Requests per signed-in person (API keys are counted by ApiKeyRateThrottle)."""

    scope = "user"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if isinstance(request.auth, ServiceAPIKey) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
