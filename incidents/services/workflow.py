"""The steps of an incident, in their order: reported → triage → contained → notified →
recovered → closed. One step at a time; each says what it needs before it is taken.

"notified" needs every notice owed decided (filed, or not required with a reason and an
approver) and the content the authority notice must carry (GDPR Art. 33(3)): the data
categories, the approximate numbers (an affected set), the DPO contact, the likely
consequences and the measures. "closed" needs the post-incident review, whose re-run of the
affected-customer query came after containment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from incidents.actions import INCIDENT_STATUS_CHANGED
from incidents.models import EntryKind, Incident, Status
from incidents.permissions import can_handle_incidents
from incidents.services.planning import current_set
from incidents.services.timeline import clean_text, entry_add

ORDER = list(Status)


def next_status(incident: Incident) -> Status | None:
    index = ORDER.index(Status(incident.status))
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def missing_for(incident: Incident, status: Status) -> dict[str, list[str]]:
    """What the incident still lacks to take the step to `status` (field → messages)."""
    missing: dict[str, list[str]] = {}
    if status == Status.NOTIFIED:
        pending = [str(row) for row in incident.obligations.all() if row.open]
        if pending:
            missing["obligations"] = [
                f"{len(pending)} notice(s) still need a decision: {', '.join(pending)}."
            ]
        if not incident.data_categories:
            missing["data_categories"] = ["Name the categories of data involved."]
        if current_set(incident) is None:
            missing["affected"] = ["Compute the affected customers (approximate numbers)."]
        if not settings.INCIDENT_DPO_CONTACT:
            missing["dpo_contact"] = ["Set INCIDENT_DPO_CONTACT (the contact point)."]
        for name, label in (("consequences", "likely consequences"), ("measures", "measures")):
            if not getattr(incident, name).strip():
                missing[name] = [f"Describe the {label}."]
    if status == Status.CLOSED and not hasattr(incident, "review"):
        missing["review"] = ["Write the post-incident review first."]
    return missing


def incident_transition(
    *, caller: Caller, incident: Incident, status: Status | str, note: str = ""
) -> Incident:
    """Take the next step (and only the next one), with an optional note."""
    require(caller, can_handle_incidents(caller), resource=incident)
    try:
        wanted = Status(status)
    except ValueError:
        raise ServiceError(
            "Unknown step.", fields={"status": [f"Choose one of: {', '.join(Status.values)}."]}
        ) from None
    following = next_status(incident)
    if wanted != following:
        expected = f"the next step is {following.label}" if following else "it is closed"
        raise ServiceError(
            f"Steps are taken in order: {expected}.",
            fields={
                "status": [
                    f"Cannot go from {incident.get_status_display()} to {wanted.label}; {expected}."
                ]
            },
        )
    missing = missing_for(incident, wanted)
    if missing:
        raise ServiceError(f"Not ready for {wanted.label}.", fields=missing)
    text = clean_text(note, field="note")
    with transaction.atomic():
        previous = incident.status
        incident.status = wanted
        updates = ["status"]
        if wanted == Status.CONTAINED:
            incident.contained_at = timezone.now()
            updates.append("contained_at")
        if wanted == Status.CLOSED:
            incident.closed_at = timezone.now()
            updates.append("closed_at")
        incident.save(update_fields=updates)
        entry_add(incident, caller, EntryKind.STATUS, text, {"from": previous, "to": wanted.value})
        audit_record(
            actor=caller.actor,
            action=INCIDENT_STATUS_CHANGED,
            target=incident,
            details={"from": previous, "to": wanted.value},
        )
    return incident
