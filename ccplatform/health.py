"""Health endpoints for load balancers and orchestrators; they show no data and need no login.

/healthz answers while the process can serve. /readyz checks what a request needs (database,
broker, cache) and answers 503 naming each failing check, so an operator sees the cause.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from ccplatform.celery import app as celery_app
from ccplatform.permissions import public_endpoint
from ccplatform.tasks import HEARTBEAT_CACHE_KEY


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_cache() -> None:
    probe = f"ccplatform:readyz:{time.monotonic_ns()}"
    cache.set(probe, "1", timeout=5)
    if cache.get(probe) != "1":
        raise RuntimeError("value written was not read back")
    cache.delete(probe)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "broker": _check_broker,
    "cache": _check_cache,
}


@public_endpoint
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@public_endpoint
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:
            # The class name tells an operator enough; messages may contain hosts or DSNs.
            results[name] = f"failing: {type(error).__name__}"
        else:
            results[name] = "ok"
    failing = sorted(name for name, status in results.items() if status != "ok")
    body: dict[str, object] = {
        "status": "ok" if not failing else "failing",
        "checks": results,
        "last_heartbeat": _last_heartbeat(),
    }
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


def _last_heartbeat() -> str | None:
    try:
        value = cache.get(HEARTBEAT_CACHE_KEY)
    except Exception:
        return None
    return value if isinstance(value, str) else None
