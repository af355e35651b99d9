"""Template context for every page: the idle timeout the session warning counts down."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def session_policy(request: HttpRequest) -> dict[str, int]:
    return {"session_idle_seconds": settings.SESSION_COOKIE_AGE}
