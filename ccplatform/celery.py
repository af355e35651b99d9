"""The Celery application: broker from settings, at-least-once delivery, schedules in code.

Tasks take ids, never personal values (invariant 4), and are idempotent, because
`acks_late` with `task_reject_on_worker_lost` redelivers a task whose worker died.
"""

from __future__ import annotations

import os
from datetime import timedelta
from logging.config import dictConfig
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import setup_logging
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccplatform.settings")

app = Celery("ccplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    result_expires=timedelta(days=1),
    timezone="UTC",
    enable_utc=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _define_schedule(sender: Celery, **_: Any) -> None:
    """The beat schedule, in code: what runs when is reviewed like any other change."""
    schedule: dict[str, dict[str, Any]] = {
        "platform-heartbeat": {
            "task": "ccplatform.tasks.heartbeat",
            "schedule": timedelta(seconds=settings.CELERY_HEARTBEAT_SECONDS),
        },
        "accounts-disable-dormant": {
            "task": "accounts.tasks.disable_dormant_accounts",
            "schedule": crontab(hour=3, minute=15),
        },
        # Each chain from its last checkpoint, then sign the heads; every chain in full daily.
        "audit-verify-recent": {
            "task": "audit.tasks.verify_recent",
            "schedule": timedelta(minutes=settings.AUDIT_CHECKPOINT_MINUTES),
        },
        "audit-monitoring": {
            "task": "audit.tasks.run_monitoring",
            "schedule": timedelta(seconds=settings.AUDIT_MONITOR_SECONDS),
        },
        "audit-verify-all": {
            "task": "audit.tasks.verify_all",
            "schedule": crontab(hour=settings.AUDIT_FULL_VERIFY_HOUR, minute=40),
        },
        # The breach clocks: reminders at 50 %, 80 %, 100 % and when a notice is missed.
        "incidents-reminders": {
            "task": "incidents.tasks.send_reminders",
            "schedule": timedelta(minutes=settings.INCIDENT_REMINDER_MINUTES),
        },
    }
    if settings.AUDIT_FORWARD_TARGET:  # the SIEM feed, when one is configured
        schedule["audit-forward"] = {
            "task": "audit.tasks.forward_events",
            "schedule": timedelta(seconds=settings.AUDIT_FORWARD_SECONDS),
        }
    sender.conf.beat_schedule = schedule


@setup_logging.connect
def _use_django_logging(**_: Any) -> None:
    """Let Django's LOGGING (JSON, scrubbed) configure the worker instead of Celery's own."""

    dictConfig(settings.LOGGING)
