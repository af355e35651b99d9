"""Celery entry points of the customers app: they take no personal data, only settings."""

from __future__ import annotations

from celery import shared_task

from ccplatform.callers import Caller
from customers.services.rescan import DEFAULT_BATCH_SIZE, notes_rescan


@shared_task(name="customers.tasks.rescan_notes")
def rescan_notes(batch_size: int = DEFAULT_BATCH_SIZE) -> dict[str, dict[str, int]]:
    """Re-scan notes and interaction summaries for card data (resumable, safe to retry)."""
    reports = notes_rescan(
        caller=Caller.system("customers.tasks.rescan_notes"), batch_size=batch_size
    )
    return {
        report.kind: {
            "total": report.total,
            "scanned": report.scanned,
            "redacted": report.redacted,
            "failed": report.failed,
        }
        for report in reports
    }
