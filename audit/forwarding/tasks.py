"""Celery entry point of the SIEM feed: one pass to AUDIT_FORWARD_TARGET, if one is set.

Scheduled every AUDIT_FORWARD_SECONDS. Overlapping runs are safe: a second pass to the same
target refuses to start while one runs. A pass stops after TASK_SLICE_SECONDS (a backlog is
sent over several runs), so no task outlives the broker's visibility timeout. A failure is
logged and the next run retries from the saved position.
"""

from __future__ import annotations

import structlog
from celery import shared_task
from django.conf import settings

from audit.forwarding.base import FeedError
from audit.forwarding.feed import forward_pass
from audit.forwarding.targets import TargetError, parse_target
from ccplatform.jobs import Budget

logger = structlog.get_logger(__name__)


@shared_task(name="audit.tasks.forward_events")
def forward_events() -> dict[str, object]:
    url = settings.AUDIT_FORWARD_TARGET
    if not url:
        return {"target": None, "delivered": 0}
    try:
        report = forward_pass(parse_target(url), budget=Budget())
    except (FeedError, TargetError) as error:
        logger.warning("audit_forward_failed", error=str(error))
        return {"delivered": 0, "error": str(error)}
    return {"target": report.target, "delivered": report.delivered, "batches": report.batches}
