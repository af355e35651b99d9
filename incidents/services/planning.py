"""Storing the notices an incident owes: the plan (incidents.planning) made into rows.

Run whenever a fact the rules read changes (opening, facts, affected customers). New
notices are added; pending ones move with their clock; a pending one the facts no longer
call for stops applying (kept, never deleted) and applies again if they do. A decided
notice is history: it is not touched. Drafts follow the facts until someone edits them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from audit.services import audit_record
from ccplatform.callers import Caller
from incidents.actions import INCIDENT_OBLIGATIONS_SYNCED
from incidents.models import (
    Client,
    EntryKind,
    Incident,
    Obligation,
    ObligationStatus,
)
from incidents.planning import ClientClock, Facts, Planned, plan
from incidents.selectors import incident_current_set
from incidents.services.drafts import draft_for
from incidents.services.timeline import entry_add


@dataclass(frozen=True)
class SyncResult:
    added: list[str]
    moved: list[str]
    dropped: list[str]
    restored: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.moved or self.dropped or self.restored)


current_set = incident_current_set  # the newest set (None before the first computation)


def clients_of(incident: Incident) -> list[Client]:
    return list(
        Client.objects.filter(teams__in=incident.affected_teams.all()).distinct().order_by("name")
    )


def facts_of(incident: Incident) -> Facts:
    affected = current_set(incident)
    return Facts(
        discovered_at=incident.discovered_at,
        aware_at=incident.aware_at,
        risk=incident.risk,
        categories=frozenset(incident.data_categories),
        regimes=frozenset(settings.INCIDENT_REGIMES),
        total=affected.total if affected else 0,
        regions=dict(affected.counts.get("regions", {})) if affected else {},
        clients=[
            ClientClock(client.pk, client.name, client.notify_within_hours)
            for client in clients_of(incident)
        ],
    )


def _label(row: Obligation | Planned) -> str:
    return f"{row.rule}{f' {row.place}' if row.place else ''}"


def obligations_sync(*, caller: Caller, incident: Incident) -> SyncResult:
    """Bring the incident's obligations in line with its facts (in the caller's
    transaction; the calling service has checked the caller's rule)."""
    planned = {item.key: item for item in plan(facts_of(incident))}
    existing = {(row.rule, row.place): row for row in incident.obligations.all()}
    added, moved, dropped, restored = [], [], [], []
    affected = current_set(incident)
    for key, item in planned.items():
        row = existing.get(key)
        if row is None:
            row = Obligation(
                incident=incident,
                rule=item.rule,
                regime=item.regime,
                recipient=item.recipient,
                place=item.place,
                source=item.source,
                summary=item.summary,
                starts_at=item.starts_at,
                deadline=item.due.due,
                zone=item.due.zone,
                basis=item.basis,
            )
            row.draft = draft_for(incident, row, affected)
            row.save()
            added.append(_label(row))
            continue
        if row.status != ObligationStatus.PENDING:
            continue
        updates = []
        if not row.applies:
            row.applies = True
            updates.append("applies")
            restored.append(_label(row))
        if (row.starts_at, row.deadline) != (item.starts_at, item.due.due):
            row.starts_at, row.deadline = item.starts_at, item.due.due
            row.reminders = []  # the marks are of the old clock
            updates += ["starts_at", "deadline", "reminders"]
            moved.append(_label(row))
        if not row.draft_edited:
            draft = draft_for(incident, row, affected)
            if draft != row.draft:
                row.draft = draft
                updates.append("draft")
        if updates:
            row.save(update_fields=updates)
    for key, row in existing.items():
        if key not in planned and row.applies and row.status == ObligationStatus.PENDING:
            row.applies = False
            row.save(update_fields=["applies"])
            dropped.append(_label(row))
    result = SyncResult(added, moved, dropped, restored)
    if result.changed:
        details = {k: v for k, v in vars(result).items() if v}
        entry_add(incident, caller, EntryKind.OBLIGATION, _summary(result), details)
        audit_record(
            actor=caller.actor,
            action=INCIDENT_OBLIGATIONS_SYNCED,
            target=incident,
            details=details,
        )
    return result


def _summary(result: SyncResult) -> str:
    parts = []
    for name, items in vars(result).items():
        if items:
            parts.append(f"{name}: {', '.join(items)}")
    return "Notices owed — " + "; ".join(parts)
