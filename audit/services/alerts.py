"""Alerts: raise (or refresh) one, acknowledge it, close it with a note. Each change is audited.

Monitoring rules (audit.monitoring) and verification call `alert_raise`; people call
`alert_acknowledge` and `alert_close` from the compliance pages, the admin or the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.actions import ALERT_ACKNOWLEDGED, ALERT_CLOSED, ALERT_RAISED
from audit.models import Alert, AlertRule, AlertStatus, Severity
from audit.models.alerts import ACTIVE_STATUSES
from audit.permissions import can_handle_alerts
from audit.services.recording import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.redaction import redact_card_data

CLOSE_NOTE_MAX = 2000


@dataclass(frozen=True)
class Finding:
    """What a rule saw: about whom, how many events, over which time."""

    rule: AlertRule
    severity: Severity
    subject: str
    summary: str
    event_count: int
    first_seen: datetime
    last_seen: datetime
    details: Mapping[str, Any]


def alert_raise(finding: Finding, *, caller: Caller) -> tuple[Alert, bool]:
    """Open an alert for the finding, or refresh the active one on the same rule and subject.

    Returns (alert, created). Raising is audited (`alert.raised`); a refresh only updates
    the counts, so a long burst is one alert, not one per run. Whoever found the problem
    raises it (a monitoring run, or a person's verification): no rule stands in the way.
    """
    with transaction.atomic():
        active = (
            Alert.objects.select_for_update()
            .filter(rule=finding.rule, subject=finding.subject, status__in=ACTIVE_STATUSES)
            .first()
        )
        if active is not None:
            active.event_count = max(active.event_count, finding.event_count)
            active.last_seen = max(active.last_seen, finding.last_seen)
            active.details = {**active.details, **finding.details}
            active.save(update_fields=["event_count", "last_seen", "details"])
            return active, False
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    rule=finding.rule,
                    severity=finding.severity,
                    subject=finding.subject,
                    summary=finding.summary[:300],
                    event_count=finding.event_count,
                    first_seen=finding.first_seen,
                    last_seen=finding.last_seen,
                    details=dict(finding.details),
                    raised_at=timezone.now(),
                )
        except IntegrityError:
            # Another run raised it a moment ago (one active alert per rule and subject).
            return Alert.objects.get(
                rule=finding.rule, subject=finding.subject, status__in=ACTIVE_STATUSES
            ), False
        audit_record(
            actor=caller.actor,
            action=ALERT_RAISED,
            target=alert,
            details={
                "rule": finding.rule.value,
                "severity": finding.severity.value,
                "subject": finding.subject,
                "events": finding.event_count,
            },
        )
        return alert, True


def alert_acknowledge(alert: Alert, *, caller: Caller) -> Alert:
    """Someone is looking at it. Only an open alert can be acknowledged."""
    require(caller, can_handle_alerts(caller), resource=alert)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status != AlertStatus.OPEN:
            raise ServiceError(
                f"Only an open alert can be acknowledged; this one is {alert.status}."
            )
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = str(caller.actor)
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit_record(actor=caller.actor, action=ALERT_ACKNOWLEDGED, target=alert)
    return alert


def alert_close(alert: Alert, *, caller: Caller, note: str) -> Alert:
    """Done with it; the note (required) says what was found or done.

    The note is free text: card numbers in it are masked before it is saved (invariant 6),
    and NUL characters, which PostgreSQL text refuses, are dropped.
    """
    require(caller, can_handle_alerts(caller), resource=alert)
    note = redact_card_data(note.replace("\x00", "").strip()).text
    if not note:
        raise ServiceError("Say in a note what was found or done before closing the alert.")
    if len(note) > CLOSE_NOTE_MAX:
        raise ServiceError(f"The note is longer than {CLOSE_NOTE_MAX} characters.")
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.CLOSED:
            raise ServiceError("This alert is already closed.")
        alert.status = AlertStatus.CLOSED
        alert.closed_at = timezone.now()
        alert.closed_by = str(caller.actor)
        alert.close_note = note
        alert.save(update_fields=["status", "closed_at", "closed_by", "close_note"])
        # The note is free text and may name people: the event says that it exists, not what.
        audit_record(
            actor=caller.actor,
            action=ALERT_CLOSED,
            target=alert,
            details={"note_length": len(note)},
        )
    return alert
