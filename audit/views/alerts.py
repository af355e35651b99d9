"""The alert queue: what the monitoring rules and verification raised, most urgent first.

Acknowledge and close are POSTs through audit.services.alerts (which audits them), answered with a
redirect back to the queue (POST-redirect-GET); a refusal (already closed, empty note) shows
the queue again with the message and status 400. The queue itself is audited as a view of
security data, as the event pages are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from audit.models import Alert, AlertStatus, Severity
from audit.models.alerts import ACTIVE_STATUSES
from audit.permissions import can_handle_alerts, can_read_alerts
from audit.services import alerts as alert_services
from audit.services.alerts import CLOSE_NOTE_MAX
from audit.services.reads import alerts_listed
from audit.views.listing import actor_label, actor_url, usernames, utc
from ccplatform import gate
from ccplatform.callers import caller_of
from ccplatform.errors import ServiceError

QUEUE_LIMIT = 200
STATUS_FILTERS: dict[str, list[AlertStatus] | None] = {
    "active": list(ACTIVE_STATUSES),
    "open": [AlertStatus.OPEN],
    "acknowledged": [AlertStatus.ACKNOWLEDGED],
    "closed": [AlertStatus.CLOSED],
    "all": None,
}
_SEVERITY_RANK = Case(
    *(
        When(severity=severity, then=Value(rank))
        for rank, severity in enumerate(
            [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]
        )
    ),
    default=Value(9),
    output_field=IntegerField(),
)
_ACTIVE_FIRST = Case(
    When(status__in=ACTIVE_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
)


def queue(status: str) -> QuerySet[Alert]:
    """Open and acknowledged first, then by severity, newest first within a severity."""
    alerts = Alert.objects.all()
    statuses = STATUS_FILTERS[status]
    if statuses is not None:
        alerts = alerts.filter(status__in=statuses)
    return alerts.annotate(active_rank=_ACTIVE_FIRST, severity_rank=_SEVERITY_RANK).order_by(
        "active_rank", "severity_rank", "-raised_at"
    )


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    subject: str
    subject_url: str
    raised: str
    first_seen: str
    last_seen: str
    acknowledged_by: str
    closed_by: str


def _split(reference: str) -> tuple[str, str]:
    """ "user:<id>", "ip:<address>", "chain:3" → (kind, id)."""
    kind, _sep, ident = reference.partition(":")
    return kind, ident


def _person(reference: str, names: dict[str, str]) -> str:
    """A "user:<id>" reference as the username when known; other references as recorded."""
    kind, ident = _split(reference)
    return actor_label(kind, ident, names) if kind == "user" else reference


def alert_rows(alerts: list[Alert]) -> list[AlertRow]:
    references = [
        ref for alert in alerts for ref in (alert.subject, alert.acknowledged_by, alert.closed_by)
    ]
    names = usernames(_split(reference) for reference in references)
    chains = reverse("audit:chains")
    rows = []
    for alert in alerts:
        kind, ident = _split(alert.subject)
        rows.append(
            AlertRow(
                alert=alert,
                subject=_person(alert.subject, names),
                subject_url=chains if kind == "chain" else actor_url(kind, ident),
                raised=utc(alert.raised_at),
                first_seen=utc(alert.first_seen),
                last_seen=utc(alert.last_seen),
                acknowledged_by=_person(alert.acknowledged_by, names),
                closed_by=_person(alert.closed_by, names),
            )
        )
    return rows


def _queue_page(
    request: HttpRequest,
    status: str,
    *,
    error: str = "",
    failed: uuid.UUID | None = None,
    note: str = "",
    http_status: int = 200,
) -> HttpResponse:
    alerts = list(queue(status)[:QUEUE_LIMIT]) if status in STATUS_FILTERS else []
    if status in STATUS_FILTERS:
        alerts_listed(caller=caller_of(request), alert_filter={"status": status}, shown=len(alerts))
    context = {
        "rows": alert_rows(alerts),
        "status": status,
        "statuses": list(STATUS_FILTERS),
        "limit": QUEUE_LIMIT,
        "error": error,
        "failed": failed,
        "note": note,
        "note_max": CLOSE_NOTE_MAX,
    }
    return render(request, "audit/alerts.html", context, status=http_status)


@gate.page(can_read_alerts)
@require_GET
def alert_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        error = f"Unknown status filter; choose one of {', '.join(STATUS_FILTERS)}."
        return _queue_page(request, status, error=error, http_status=400)
    return _queue_page(request, status)


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    status = request.POST.get("status", "active")
    status = status if status in STATUS_FILTERS else "active"
    return redirect(f"{reverse('audit:alerts')}?status={status}")


@gate.page(can_handle_alerts)
@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    try:
        alert_services.alert_acknowledge(alert, caller=caller_of(request))
    except ServiceError as refusal:
        return _queue_page(request, "active", error=refusal.message, http_status=400)
    messages.success(request, f"Alert acknowledged: {alert.get_rule_display()}.")
    return _back_to_queue(request)


@gate.page(can_handle_alerts)
@require_POST
def alert_close(request: HttpRequest, alert_id: uuid.UUID) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=alert_id)
    note = request.POST.get("note", "")
    try:
        alert_services.alert_close(alert, caller=caller_of(request), note=note)
    except ServiceError as refusal:
        return _queue_page(
            request,
            "active",
            error=refusal.message,
            failed=alert.pk,
            note=note[: CLOSE_NOTE_MAX * 2],
            http_status=400,
        )
    messages.success(request, f"Alert closed: {alert.get_rule_display()}.")
    return _back_to_queue(request)
