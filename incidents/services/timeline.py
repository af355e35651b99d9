"""The incident timeline: the one writer of its entries, and notes.

Entries are append-only (a database trigger refuses UPDATE and DELETE). Free text is
scanned for card numbers before it is saved: a note is never the place for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from ccplatform.redaction import mask_card_numbers
from incidents.actions import INCIDENT_NOTE_ADDED, INCIDENT_VIEWED
from incidents.models import EntryKind, Incident, Status, TimelineEntry
from incidents.permissions import can_add_notes, can_view_incidents

NOTE_LIMIT = 5000


def clean_text(text: str, *, field: str, required: bool = False, limit: int = NOTE_LIMIT) -> str:
    """Stripped text with card numbers masked; a field error when required and empty."""
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise ServiceError(
            "Fill in the required fields.", fields={field: ["This field is required."]}
        )
    if len(cleaned) > limit:
        raise ServiceError("Text too long.", fields={field: [f"At most {limit} characters."]})
    return mask_card_numbers(cleaned)[0]


def entry_add(
    incident: Incident,
    caller: Caller,
    kind: EntryKind,
    text: str = "",
    details: Mapping[str, Any] | None = None,
) -> TimelineEntry:
    """Append one entry, in the caller's transaction."""
    return TimelineEntry.objects.create(
        incident=incident,
        actor=str(caller.actor),
        kind=kind,
        text=text,
        details=dict(details or {}),
    )


def incident_note_add(*, caller: Caller, incident: Incident, text: str) -> TimelineEntry:
    """A note on the timeline: what someone saw, decided or was told."""
    require(caller, can_add_notes(caller), resource=incident)
    if incident.status == Status.CLOSED:
        raise ServiceError("This incident is closed; its timeline is final.")
    note = clean_text(text, field="text", required=True)
    with transaction.atomic():
        entry = entry_add(incident, caller, EntryKind.NOTE, note)
        audit_record(actor=caller.actor, action=INCIDENT_NOTE_ADDED, target=incident)
    return entry


def incident_viewed(*, caller: Caller, incident: Incident) -> None:
    """Record that an incident's page or record was shown (it lists affected customers' ids
    and the drafts of notices about them)."""
    require(caller, can_view_incidents(caller), resource=incident)
    audit_record(actor=caller.actor, action=INCIDENT_VIEWED, target=incident)
