"""The audit actions of the incident workflow (declared once; audit.actions is the registry)."""

from __future__ import annotations

from audit.actions import INFO, NOTICE, WARNING, Category, declare

INCIDENT_OPENED = declare(
    "incident.opened",
    Category.INCIDENT,
    WARNING,
    "An incident was reported (or opened from an alert).",
)
INCIDENT_UPDATED = declare(
    "incident.updated", Category.INCIDENT, NOTICE, "Facts of an incident changed (fields named)."
)
INCIDENT_STATUS_CHANGED = declare(
    "incident.status_changed", Category.INCIDENT, NOTICE, "An incident moved to its next step."
)
INCIDENT_NOTE_ADDED = declare(
    "incident.note_added", Category.INCIDENT, INFO, "A note was added to an incident's timeline."
)
INCIDENT_VIEWED = declare(
    "incident.viewed", Category.INCIDENT, INFO, "An incident's page or record was shown."
)
INCIDENT_AFFECTED_COMPUTED = declare(
    "incident.affected_computed",
    Category.INCIDENT,
    NOTICE,
    "The customers affected were computed from the audit log (counts and the query).",
)
INCIDENT_OBLIGATIONS_SYNCED = declare(
    "incident.obligations_synced",
    Category.INCIDENT,
    INFO,
    "The notices an incident owes were derived again from its facts (added, moved, dropped).",
)
INCIDENT_OBLIGATION_DECIDED = declare(
    "incident.obligation_decided",
    Category.INCIDENT,
    NOTICE,
    "A notice was filed (on time or late) or found not required, with who approved it.",
)
INCIDENT_DRAFT_EDITED = declare(
    "incident.draft_edited", Category.INCIDENT, INFO, "The draft of a notice was edited."
)
INCIDENT_REMINDED = declare(
    "incident.reminded",
    Category.INCIDENT,
    WARNING,
    "A notice's clock reached 50 %, 80 %, 100 % of its time, or passed it unfiled.",
)
INCIDENT_CONTAINMENT = declare(
    "incident.containment_taken",
    Category.INCIDENT,
    WARNING,
    "A containment action was taken from an incident (what, on which records).",
)
INCIDENT_REVIEWED = declare(
    "incident.reviewed", Category.INCIDENT, NOTICE, "The post-incident review was written."
)
INCIDENT_CLIENT_SAVED = declare(
    "incident.client_saved",
    Category.INCIDENT,
    NOTICE,
    "A client's breach-notice contact, clock or teams were set (details: the fields changed).",
)
