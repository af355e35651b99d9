"""Drafts of the notices, generated from the incident and editable.

The authority's draft carries what GDPR Art. 33(3) asks for: the nature of the breach, the
categories and approximate numbers of people and records, the contact point (the DPO), the
likely consequences and the measures taken or proposed. The others say the same in the
words their readers need. Counts come from the current affected set; no draft names a
person. Text the platform cannot know yet is marked "[to complete]".
"""

from __future__ import annotations

from django.conf import settings

from incidents.models import AffectedSet, DataCategory, Incident, Kind, Obligation
from incidents.rules import Recipient

MISSING = "[to complete]"


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else MISSING


def _categories(incident: Incident) -> str:
    labels = dict(DataCategory.choices)
    return ", ".join(labels.get(c, c) for c in incident.data_categories) or MISSING


def _numbers(affected: AffectedSet | None, place: str = "") -> str:
    if affected is None:
        return f"{MISSING} (compute the affected customers from the audit log)"
    if place:
        residents = affected.counts.get("regions", {}).get(place, 0)
        return f"{residents} residents of {place} (of {affected.total} people affected)"
    return f"approximately {affected.total} {'person' if affected.total == 1 else 'people'}"


def _records(affected: AffectedSet | None) -> str:
    if affected is None:
        return MISSING
    return (
        f"{affected.total} customer record(s): {affected.plaintext} seen in plain text, "
        f"{affected.total - affected.plaintext} only in masked or encrypted form"
    )


def _dpo() -> str:
    return settings.INCIDENT_DPO_CONTACT or MISSING


def _facts(incident: Incident) -> list[str]:
    return [
        f"Reference: {incident.reference}",
        f"What happened: {Kind(incident.kind).label} of personal data "
        f"({incident.get_nature_display().lower()}). {incident.title}.",
        f"Discovered: {_when(incident.discovered_at)}; we became aware: "
        f"{_when(incident.aware_at)}.",
        f"Data involved: {_categories(incident)}.",
    ]


def _closing(incident: Incident) -> list[str]:
    return [
        f"Likely consequences: {incident.consequences or MISSING}",
        f"Measures taken or proposed: {incident.measures or MISSING}",
        f"Contact: {_dpo()}",
    ]


def draft_for(incident: Incident, obligation: Obligation, affected: AffectedSet | None) -> str:
    """The generated draft of one notice."""
    recipient = obligation.recipient
    exercise = ["EXERCISE — not a real incident.", ""] if incident.is_exercise else []
    if recipient == Recipient.AUTHORITY:
        lines = [
            f"Personal data breach notification ({obligation.source})",
            "",
            *_facts(incident),
            f"People concerned: {_numbers(affected, obligation.place)}.",
            f"Records concerned: {_records(affected)}.",
            *_closing(incident),
        ]
    elif recipient == Recipient.SUBJECTS:
        lines = [
            "Dear customer,",
            "",
            "We are writing to tell you about a security incident that involved your "
            "personal data.",
            f"What happened: {incident.title} (discovered {_when(incident.discovered_at)}).",
            f"What information was involved: {_categories(incident)}.",
            f"What we are doing: {incident.measures or MISSING}",
            "What you can do: watch your accounts and statements, and be wary of messages "
            "that ask for your details.",
            f"For more information: {_dpo()}",
        ]
    elif recipient in (Recipient.HHS, Recipient.HHS_ANNUAL_LOG):
        lines = [
            f"Breach of unsecured protected health information ({obligation.source})",
            "",
            *_facts(incident),
            f"Individuals affected: {_numbers(affected)}.",
            f"Safeguards in place: field encryption with per-customer keys; {MISSING}",
            *_closing(incident),
        ]
    elif recipient == Recipient.CLIENT:
        lines = [
            f"Security incident notice under our agreement ({obligation.source})",
            "",
            *_facts(incident),
            f"Your customers concerned: {_numbers(affected)}.",
            *_closing(incident),
        ]
    else:  # media, attorneys general
        lines = [
            f"Notice of a data security incident ({obligation.source})",
            "",
            *_facts(incident),
            f"Residents affected: {_numbers(affected, obligation.place)}.",
            *_closing(incident),
        ]
    return "\n".join([*exercise, *lines])
