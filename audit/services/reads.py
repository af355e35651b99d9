"""The audit log's own reads, recorded: searches, single events, exports, checkpoints, alerts.

The views call these after the gate let the caller in; each writes one event that says what
was looked at (filters, counts, ids), never a personal value. `via` is the caller's door.
"""

from __future__ import annotations

from audit.actions import (
    ALERT_LISTED,
    AUDIT_CHECKPOINTS_VIEWED,
    AUDIT_EVENT_VIEWED,
    AUDIT_EXPORTED,
    AUDIT_SEARCHED,
)
from audit.exporting import filter_summary
from audit.models import AuditEvent
from audit.search import EventFilter
from audit.services.recording import audit_record
from ccplatform.callers import Caller


def audit_searched(
    *,
    caller: Caller,
    view: str,
    event_filter: EventFilter,
    page_size: int,
    shown: int,
    continued: bool,
) -> None:
    """A page of events was shown: which view ("search", "customer", "actor", "api"), the
    filter, how many, and whether it continued an earlier page."""
    audit_record(
        actor=caller.actor,
        action=AUDIT_SEARCHED,
        details={
            "via": str(caller.via),
            "view": view,
            "filter": filter_summary(event_filter),
            "page_size": page_size,
            "shown": shown,
            "continued": continued,
        },
    )


def audit_event_viewed(*, caller: Caller, event: AuditEvent) -> None:
    audit_record(
        actor=caller.actor,
        action=AUDIT_EVENT_VIEWED,
        target=event,
        details={"via": str(caller.via)},
    )


def audit_exported(*, caller: Caller, event_filter: EventFilter, fmt: str) -> None:
    """Exports are audited before they start: who took which range, in which format."""
    audit_record(
        actor=caller.actor,
        action=AUDIT_EXPORTED,
        details={"format": fmt, "via": str(caller.via), "filter": filter_summary(event_filter)},
    )


def checkpoints_listed(*, caller: Caller, page: int, shown: int) -> None:
    audit_record(
        actor=caller.actor,
        action=AUDIT_CHECKPOINTS_VIEWED,
        details={"via": str(caller.via), "page": page, "checkpoints": shown},
    )


def alerts_listed(*, caller: Caller, alert_filter: dict[str, str], shown: int) -> None:
    """The alert queue was shown: with which filter (status, rule, severity), how many."""
    audit_record(
        actor=caller.actor,
        action=ALERT_LISTED,
        details={"via": str(caller.via), "filter": alert_filter, "shown": shown},
    )
