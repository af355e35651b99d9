"""Reads of incidents, scoped to the caller: hidden and missing look alike (404)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from ccplatform import gate
from ccplatform.callers import Caller
from incidents.models import AffectedSet, Incident, Obligation, ObligationStatus, Status
from incidents.permissions import can_handle_incidents, can_view_incidents

VISIBLE_RULE = "incidents.visible"


def incidents_visible_to(caller: Caller) -> QuerySet[Incident]:
    """Incident handlers: every incident. Others who may follow incidents: those they (or
    their key's service account) reported, and those affecting one of their teams."""
    base = Incident.objects.select_related("reporter")
    if can_handle_incidents(caller):
        return base
    if not can_view_incidents(caller):
        return base.none()
    mine = Q(reporter_id=caller.user_id)
    if caller.team_ids:
        mine |= Q(affected_teams__in=caller.team_ids)
    return base.filter(mine).distinct()


def incident_get_for(caller: Caller, incident_id: uuid.UUID | str) -> Incident:
    """The incident if `caller` may see it; Http404 whether hidden or missing (audited)."""
    try:
        key = uuid.UUID(str(incident_id))
    except ValueError:
        gate.hidden(caller, rule=VISIBLE_RULE, resource=("incidents.incident", "malformed"))
    incident = incidents_visible_to(caller).filter(pk=key).first()
    if incident is None:
        gate.hidden(caller, rule=VISIBLE_RULE, resource=("incidents.incident", str(key)))
    return incident


def obligations_open(caller: Caller) -> QuerySet[Obligation]:
    """Every notice still owed, across the incidents the caller handles, soonest first;
    exercises are included (they run the same clocks) and flagged by their incident."""
    if not can_handle_incidents(caller):
        return Obligation.objects.none()
    return (
        Obligation.objects.filter(status=ObligationStatus.PENDING, applies=True)
        .exclude(incident__status=Status.CLOSED)
        .select_related("incident")
        .order_by("deadline", "id")
    )


@dataclass(frozen=True)
class Statistics:
    """Real incidents only: exercises are left out of every count."""

    open: int
    this_year: int
    notices_open: int
    notices_late: int
    last_exercise: datetime | None


def incident_statistics(caller: Caller, *, now: datetime | None = None) -> Statistics:
    """The compliance start page's figures (none for a caller who does not handle incidents)."""
    now = now or timezone.now()
    if not can_handle_incidents(caller):
        return Statistics(0, 0, 0, 0, None)
    real = Incident.objects.filter(is_exercise=False)
    notices = Obligation.objects.filter(
        incident__is_exercise=False, applies=True, status=ObligationStatus.PENDING
    )
    last = (
        Incident.objects.filter(is_exercise=True)
        .order_by("-reported_at")
        .values_list("reported_at", flat=True)
        .first()
    )
    return Statistics(
        open=real.exclude(status=Status.CLOSED).count(),
        this_year=real.filter(reported_at__year=now.year).count(),
        notices_open=notices.count(),
        notices_late=notices.filter(deadline__lt=now).count(),
        last_exercise=last,
    )


def incident_current_set(incident: Incident) -> AffectedSet | None:
    """The incident's newest affected set (the one its counts and thresholds read)."""
    return incident.affected_sets.order_by("-computed_at", "-id").first()


def obligation_get_for(caller: Caller, incident: Incident, obligation_id: int) -> Obligation:
    """One notice of `incident` (reached through incident_get_for); any other id is a 404,
    recorded like a hidden incident."""
    # Through the incident's manager, so `obligation.incident` is this very instance.
    found = incident.obligations.filter(pk=obligation_id).first()
    if found is None:
        gate.hidden(
            caller, rule=VISIBLE_RULE, resource=("incidents.obligation", str(obligation_id))
        )
    return found


def affected_set_get_for(caller: Caller, incident: Incident, set_id: int) -> AffectedSet:
    """One affected set of `incident`; any other id is a 404, recorded like a hidden incident."""
    found = incident.affected_sets.filter(pk=set_id).first()
    if found is None:
        gate.hidden(caller, rule=VISIBLE_RULE, resource=("incidents.affectedset", str(set_id)))
    return found
