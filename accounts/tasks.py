"""Celery entry points of the accounts app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from accounts.services.users import users_disable_dormant


@shared_task(name="accounts.tasks.disable_dormant_accounts")
def disable_dormant_accounts() -> int:
    """Disable people who have not signed in for DORMANT_DAYS (PCI DSS 8.2.6)."""
    return users_disable_dormant(inactive_days=settings.DORMANT_DAYS)
