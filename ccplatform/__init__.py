"""ccplatform: the project package (settings, URLs, Celery app, cross-cutting primitives)."""

from __future__ import annotations

from ccplatform.celery import app as celery_app

__all__ = ["celery_app"]
