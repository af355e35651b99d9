"""Celery entry points of the customers app: they take no personal data, only settings."""

from __future__ import annotations

from celery import shared_task

from ccplatform.callers import Caller
from ccplatform.jobs import Budget, run_exclusively
from customers.services.rescan import DEFAULT_BATCH_SIZE, RescanProgress, notes_rescan


@shared_task(name="customers.tasks.rescan_notes")
def rescan_notes(batch_size: int = DEFAULT_BATCH_SIZE) -> dict[str, object]:
    """Re-scan notes and interaction summaries for card data (resumable, safe to retry).

    One run at a time; each task works for TASK_SLICE_SECONDS, then sends itself again
    until every row was looked at (rows already scanned are not looked at twice).
    """

    def slice_of_batches() -> list[RescanProgress]:
        return notes_rescan(
            caller=Caller.system("customers.tasks.rescan_notes"),
            batch_size=batch_size,
            budget=Budget(),
        )

    reports = run_exclusively("rescan-notes", slice_of_batches)
    if isinstance(reports, dict):
        return reports  # another run holds the lease
    if not all(report.done for report in reports):
        rescan_notes.delay(batch_size=batch_size)  # sent once the lease is released
    return {
        report.kind: {
            "total": report.total,
            "scanned": report.scanned,
            "redacted": report.redacted,
            "failed": report.failed,
            "done": report.done,
        }
        for report in reports
    }
