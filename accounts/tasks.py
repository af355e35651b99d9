"""Celery entry points of the accounts app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from accounts.services.users import users_disable_dormant
from ccplatform.jobs import run_exclusively


@shared_task(name="accounts.tasks.disable_dormant_accounts")
def disable_dormant_accounts() -> int | dict[str, object]:
    """Disable people who have not signed in for DORMANT_DAYS (PCI DSS 8.2.6); one run at a
    time."""
    return run_exclusively(
        "disable-dormant-accounts",
        lambda: users_disable_dormant(inactive_days=settings.DORMANT_DAYS),
    )
