"""Reads of incidents, scoped to the caller: hidden and missing look alike (404)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from ccplatform import gate
from ccplatform.callers import Caller
from incidents.models import Incident, Obligation, ObligationStatus
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
        Obligation.objects.filter(status=ObligationStatus.PENDING)
        .select_related("incident")
        .order_by("deadline", "id")
    )
