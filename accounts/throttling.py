"""Rate limits: sign-in attempts per client address, and API calls per key."""

from __future__ import annotations

import math
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

    The window opens at an address's first attempt and lasts SIGNIN_IP_WINDOW_SECONDS (no
    fixed clock boundaries to burst across). It lives in the shared cache, in front of the
    per-account lockout, so one address cannot cycle through many accounts. On Redis the
    counter is atomic.
    """
    window = settings.SIGNIN_IP_WINDOW_SECONDS
    address = client_ip(request) or "unknown"
    started_key = f"ccplatform:signin-ip:{address}:started"
    count_key = f"ccplatform:signin-ip:{address}:count"
    now = time.time()
    cache.add(started_key, now, timeout=window)
    cache.add(count_key, 0, timeout=window)
    try:
        count = cache.incr(count_key)
    except ValueError:  # expired between add and incr
        cache.set(count_key, 1, timeout=window)
        count = 1
    if count <= settings.SIGNIN_IP_LIMIT:
        return None
    started = cache.get(started_key)
    elapsed = now - started if isinstance(started, float) else 0.0
    return max(1, math.ceil(window - elapsed))


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
