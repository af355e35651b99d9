"""Platform-level Celery tasks: liveness of the worker and beat."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "ccplatform:heartbeat"


@shared_task(name="ccplatform.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat scheduled and a worker ran a task; /readyz reports the time."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(name="ccplatform.tasks.ping")
def ping() -> str:
    """Answer 'pong': the smallest proof that a worker consumes from the broker."""
    return "pong"
