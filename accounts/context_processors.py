"""Template context for every page: the platform version and the idle timeout.

The session warning in the page counts down from the idle timeout.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def session_policy(request: HttpRequest) -> dict[str, object]:
    return {
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "version": settings.CCPLATFORM_VERSION,
    }
