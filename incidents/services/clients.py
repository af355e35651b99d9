"""The clients we process data for, with the breach-notice clock each contract sets.

A client's clock is at most the law's 72 hours (a contract may only shorten it); its teams
say whose incidents owe it a notice. Open incidents affecting those teams get the notice
the next time their facts change, or at once when saved here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.selectors import Team
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from incidents.actions import INCIDENT_CLIENT_SAVED
from incidents.models import Client, Incident, Status
from incidents.permissions import can_manage_clients
from incidents.rules import CLIENT_MAX_HOURS
from incidents.services.planning import obligations_sync


def client_save(
    *,
    caller: Caller,
    client: Client,
    name: str,
    contact: str,
    notify_within_hours: int,
    teams: Iterable[Team],
) -> Client:
    """Create or change a client, then derive the notices of the open incidents it touches."""
    require(
        caller,
        can_manage_clients(caller),
        resource=client if client.pk else ("incidents.client", "new"),
    )
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["This field is required."]
    if not contact.strip():
        errors["contact"] = ["Who receives the notices (an address or a phone number)."]
    if not 1 <= notify_within_hours <= CLIENT_MAX_HOURS:
        errors["notify_within_hours"] = [f"Between 1 and {CLIENT_MAX_HOURS} hours (the law's)."]
    if errors:
        raise ServiceError("Check the fields marked.", fields=errors)
    chosen = list(teams)
    with transaction.atomic():
        before = (
            {
                "name": client.name,
                "contact": client.contact,
                "notify_within_hours": client.notify_within_hours,
            }
            if client.pk
            else {}
        )
        client.name, client.contact = name.strip(), contact.strip()
        client.notify_within_hours = notify_within_hours
        client.save()
        old_teams = set(client.teams.values_list("pk", flat=True))
        client.teams.set(chosen)
        changed = (
            sorted(k for k, v in before.items() if getattr(client, k) != v)
            if before
            else ["created"]
        )
        if old_teams != {team.pk for team in chosen}:
            changed.append("teams")
        audit_record(
            actor=caller.actor,
            action=INCIDENT_CLIENT_SAVED,
            target=client,
            details={"changed": changed, "hours": client.notify_within_hours},
        )
        # Teams added gain the notice, teams removed lose it: both kinds of incident follow.
        teams_then_and_now = old_teams | {team.pk for team in chosen}
        touched = Incident.objects.filter(affected_teams__in=teams_then_and_now).exclude(
            status=Status.CLOSED
        )
        for incident in touched.distinct():
            obligations_sync(caller=caller, incident=incident)
    return client
