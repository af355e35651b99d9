"""Celery entry points of the audit app: verification with checkpoints (and, by import, the
monitoring rules and the SIEM feed). Tasks take no personal data."""

from __future__ import annotations

from celery import shared_task

from audit.forwarding.tasks import forward_events
from audit.monitoring.tasks import run_monitoring
from audit.services.verification import audit_verify
from ccplatform.callers import Caller
from ccplatform.jobs import run_exclusively

# Celery finds tasks in this module only: the feed's and the rules' are imported here.
__all__ = ["forward_events", "run_monitoring", "verify_all", "verify_recent"]

VERIFIER = Caller.system("audit verification")


@shared_task(name="audit.tasks.verify_recent")
def verify_recent() -> dict[str, object]:
    """Walk each chain from its last checkpoint, then sign the heads (scheduled hourly)."""
    return _verify(full=False)


@shared_task(name="audit.tasks.verify_all")
def verify_all() -> dict[str, object]:
    """Walk every chain from its first link (scheduled daily)."""
    return _verify(full=True)


def _verify(*, full: bool) -> dict[str, object]:
    """One verification at a time (the hourly and the daily one share the lease). A full
    walk of a log of more than TASK time limit × ~200,000 events/s needs a longer
    CELERY_TASK_TIME_LIMIT_SECONDS (README "Tasks and workers")."""

    def verify() -> dict[str, object]:
        run = audit_verify(caller=VERIFIER, full=full, trigger="schedule").run
        return {
            "run": run.pk,
            "ok": run.ok,
            "events_checked": run.events_checked,
            "chains": run.chains_checked,
            "breaks": run.breaks,
        }

    return run_exclusively("audit-verification", verify)
