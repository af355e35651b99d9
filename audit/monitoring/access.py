"""Rules about what one actor did with records: bulk access, off-hours reveals, bursts of
denied access, break-glass use.

Each rule is one aggregate query over a time window, served by an (…, occurred_at, id)
index: the database groups by actor and counts, and Python receives one row per actor over
the threshold, never the window's events. Findings name actors by kind and id ("user:<id>",
"api_key:<prefix>"), never by a personal value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet

from audit.actions import Category, names_in
from audit.models import AlertRule, AuditEvent, Outcome, Severity
from audit.monitoring.windows import Window, instant_window, off_hours_q
from audit.services.alerts import Finding

CUSTOMER = "customers.customer"
# Actions that show one customer's data to the actor: a record or its history read, or
# fields revealed. A list page or a search result names up to a page of customers at once,
# masked (Category.RECORDS_NAMED): counting those would raise this alert on one ordinary
# page view, so they are not counted here.
RECORD_CATEGORIES = (Category.RECORD_READ, Category.RECORD_REVEALED)


def _per_actor(
    events: QuerySet[AuditEvent], *, having: Q | None = None, **counts: Any
) -> list[dict[str, Any]]:
    """One row per actor (GROUP BY in SQL): events, first and last time, and the extra
    `counts`; `having` keeps only the actors over a threshold, in SQL too."""
    rows = events.values("actor_kind", "actor_id").annotate(
        events=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"), **counts
    )
    if having is not None:
        rows = rows.filter(having)
    return [dict(row) for row in rows.order_by("actor_kind", "actor_id")]


def _subject(row: dict[str, Any]) -> str:
    return f"{row['actor_kind']}:{row['actor_id']}"


def _finding(
    row: dict[str, Any],
    *,
    rule: AlertRule,
    severity: Severity,
    summary: str,
    window: Window,
    details: dict[str, Any],
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        subject=_subject(row),
        summary=summary,
        event_count=row["events"],
        first_seen=row["first"],
        last_seen=row["last"],
        details={**details, "events": row["events"], **window.as_details()},
    )


def bulk_access(now: datetime) -> list[Finding]:
    """More than AUDIT_BULK_ACCESS_CUSTOMERS customers opened by one actor within
    AUDIT_BULK_ACCESS_MINUTES (distinct customers, through any reading action)."""
    limit = settings.AUDIT_BULK_ACCESS_CUSTOMERS
    window = Window.last(settings.AUDIT_BULK_ACCESS_MINUTES, now=now)
    events = AuditEvent.objects.filter(
        window.q(),
        action__in=names_in(*RECORD_CATEGORIES),
        target_type=CUSTOMER,
        outcome=Outcome.ALLOWED,
    )
    rows = _per_actor(
        events, having=Q(customers__gt=limit), customers=Count("target_id", distinct=True)
    )
    return [
        _finding(
            row,
            rule=AlertRule.BULK_ACCESS,
            severity=Severity.HIGH,
            summary=(
                f"{_subject(row)} opened {row['customers']} customer records within "
                f"{window.minutes} minutes (more than {limit} raises this alert)."
            ),
            window=window,
            details={"customers": row["customers"], "threshold": limit},
        )
        for row in rows
    ]


def off_hours_reveal(now: datetime) -> list[Finding]:
    """Customer data revealed outside AUDIT_WORKING_HOURS on AUDIT_WORKING_DAYS, in
    AUDIT_WORKING_TIME_ZONE; one finding per actor."""
    window = instant_window(now=now)
    off_hours = off_hours_q(window)
    if off_hours is None:
        return []
    # The off-hours spans lie inside the window: they are the time filter.
    events = AuditEvent.objects.filter(
        off_hours, action__in=names_in(Category.RECORD_REVEALED), outcome=Outcome.ALLOWED
    )
    rows = _per_actor(events, customers=Count("target_id", distinct=True))
    return [
        _finding(
            row,
            rule=AlertRule.OFF_HOURS_REVEAL,
            severity=Severity.MEDIUM,
            summary=(
                f"{_subject(row)} revealed data of {row['customers']} customer(s) outside "
                "working hours."
            ),
            window=window,
            details={"customers": row["customers"]},
        )
        for row in rows
    ]


def access_denied_burst(now: datetime) -> list[Finding]:
    """AUDIT_DENIED_BURST or more denied actions by one actor within
    AUDIT_DENIED_BURST_MINUTES. Failed sign-in steps have their own rule (signin_failures)
    and are left out here: their actor is the account under attack, not the attacker."""
    limit = settings.AUDIT_DENIED_BURST
    window = Window.last(settings.AUDIT_DENIED_BURST_MINUTES, now=now)
    # `exclude(allowed)` as well as `outcome=denied`: the planner then picks the partial index
    # on (occurred_at, id) WHERE outcome <> 'allowed'.
    events = (
        AuditEvent.objects.filter(window.q(), outcome=Outcome.DENIED)
        .exclude(outcome=Outcome.ALLOWED)
        .exclude(action__in=names_in(Category.SIGN_IN_FAILURE))
    )
    rows = _per_actor(events, having=Q(events__gte=limit), actions=Count("action", distinct=True))
    return [
        _finding(
            row,
            rule=AlertRule.ACCESS_DENIED_BURST,
            severity=Severity.HIGH,
            summary=(
                f"{_subject(row)} was denied {row['events']} times within {window.minutes} "
                f"minutes ({limit} or more raises this alert)."
            ),
            window=window,
            details={"distinct_actions": row["actions"], "threshold": limit},
        )
        for row in rows
    ]


def break_glass(now: datetime) -> list[Finding]:
    """Any use of break-glass access (an action of Category.BREAK_GLASS), per actor.

    Whatever the outcome: a refused attempt at emergency access is worth a look too.
    """
    window = instant_window(now=now)
    events = AuditEvent.objects.filter(window.q(), action__in=names_in(Category.BREAK_GLASS))
    rows = _per_actor(events, targets=Count("target_id", distinct=True))
    return [
        _finding(
            row,
            rule=AlertRule.BREAK_GLASS,
            severity=Severity.CRITICAL,
            summary=f"{_subject(row)} used break-glass access {row['events']} time(s).",
            window=window,
            details={"targets": row["targets"]},
        )
        for row in rows
    ]
