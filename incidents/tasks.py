"""Celery entry points of the breach workflow: computing affected customers, the clocks'
reminders. Tasks take ids and queries, never personal data."""

from __future__ import annotations

from celery import shared_task

from audit.exposure import ExposureQuery
from ccplatform.callers import Caller
from ccplatform.gate import require
from ccplatform.jobs import run_exclusively
from incidents.models import Incident
from incidents.permissions import can_handle_incidents
from incidents.services.affected import Compromised, affected_compute, exposure_query
from incidents.services.reminders import REMINDER_JOB, reminders_send


@shared_task(name="incidents.tasks.compute_affected")
def compute_affected(
    *, incident_id: str, query: dict[str, str], requested_by: str
) -> dict[str, object]:
    """Compute one affected set. Redelivered after a crash it runs again and adds a set of
    the same content (the newest is the current one): harmless, and visible as such."""
    incident = Incident.objects.get(pk=incident_id)
    caller = Caller.system(f"incident {incident.reference} affected customers")
    affected = affected_compute(
        caller=caller,
        incident=incident,
        query=ExposureQuery.from_details(query),
        requested_by=requested_by,
    )
    return {"set": affected.pk, "total": affected.total, "plaintext": affected.plaintext}


@shared_task(name="incidents.tasks.send_reminders")
def send_reminders() -> dict[str, object]:
    """Remind the handlers of the clocks at 50 %, 80 %, 100 % and when missed (scheduled
    every INCIDENT_REMINDER_MINUTES; each mark is sent once)."""
    return run_exclusively(REMINDER_JOB, lambda: {"reminded": reminders_send()})


def affected_request(*, caller: Caller, incident: Incident, compromised: Compromised) -> str:
    """Check the query and have a worker compute the set: it decrypts addresses, so it runs
    as the system, for `caller` (audited as requested_by). The task id; eager in tests."""
    require(caller, can_handle_incidents(caller), resource=incident)
    query = exposure_query(compromised)
    result = compute_affected.delay(
        incident_id=str(incident.pk), query=query.as_details(), requested_by=str(caller.actor)
    )
    return str(result.id)
