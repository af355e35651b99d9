"""gunicorn settings for the web process (docker-compose and production)."""

from __future__ import annotations

import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 60
graceful_timeout = 30
accesslog = None  # django-structlog logs each request as JSON with its request id
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    """Load settings in the master, so bad configuration stops it before any worker forks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccplatform.settings")
    from django.conf import settings

    _ = settings.SECRET_KEY
