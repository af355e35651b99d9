"""Opening an incident (a person, the API, or from monitoring alerts) and changing its facts.

`discovered_at` is proposed from the earliest linked alert; entering another time needs a
written reason, kept on the timeline. Neither it nor `aware_at` may lie after the report.
Every change of a fact the clocks read derives the obligations again (planning).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.callers import user_of
from accounts.selectors import Team, all_teams, teams_for
from audit.selectors import alerts_for
from audit.services import audit_record
from ccplatform.callers import Caller
from ccplatform.errors import ServiceError
from ccplatform.gate import require
from incidents.actions import INCIDENT_OPENED, INCIDENT_UPDATED
from incidents.models import (
    DataCategory,
    EntryKind,
    Incident,
    Kind,
    Nature,
    OpenedVia,
    Risk,
    Severity,
    Status,
)
from incidents.permissions import can_handle_incidents, can_report_incidents
from incidents.services.planning import obligations_sync
from incidents.services.timeline import clean_text, entry_add

CHECK_FIELDS = "Check the fields marked."
CHOICES: dict[str, type[Any]] = {
    "nature": Nature,
    "kind": Kind,
    "severity": Severity,
    "risk": Risk,
}
TEXTS = {"title": 200, "description": 5000, "systems": 300, "consequences": 5000, "measures": 5000}
CLOCKS = ("discovered_at", "aware_at")
EDITABLE = (*TEXTS, *CHOICES, "data_categories", "team_ids", *CLOCKS)


@dataclass(frozen=True)
class Report:
    """What whoever reports an incident says about it."""

    title: str
    nature: str
    kind: str
    severity: str
    risk: str = Risk.RISK
    aware_at: datetime | None = None
    discovered_at: datetime | None = None
    discovered_reason: str = ""
    description: str = ""
    data_categories: Sequence[str] = ()
    systems: str = ""
    team_ids: Sequence[str] = ()
    alert_ids: Sequence[str] = ()
    is_exercise: bool = False
    consequences: str = ""
    measures: str = ""


@dataclass
class _Checked:
    """Values checked one by one; every problem is collected, then raised together."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, value: str, *, required: bool = False) -> None:
        try:
            self.values[name] = clean_text(value, field=name, required=required, limit=TEXTS[name])
        except ServiceError as error:
            for message in error.fields.get(name, [error.message]):
                self.fail(name, message)

    def choice(self, name: str, value: str) -> None:
        choices = CHOICES[name]
        if value not in choices.values:
            self.fail(name, f"Choose one of: {', '.join(choices.values)}.")
        else:
            self.values[name] = value

    def categories(self, values: Iterable[str]) -> None:
        chosen = list(dict.fromkeys(values))
        unknown = [value for value in chosen if value not in DataCategory.values]
        if unknown:
            self.fail("data_categories", f"Choose from: {', '.join(DataCategory.values)}.")
        else:
            self.values["data_categories"] = chosen

    def teams(self, caller: Caller, ids: Iterable[str]) -> None:
        wanted = {str(value) for value in ids}
        allowed = all_teams() if can_handle_incidents(caller) else teams_for(caller)
        found = {str(team.pk): team for team in allowed if str(team.pk) in wanted}
        if set(found) != wanted:
            self.fail("team_ids", "Choose teams you work with.")
        else:
            self.values["teams"] = list(found.values())

    def clocks(
        self, discovered_at: datetime | None, aware_at: datetime | None, now: datetime
    ) -> None:
        for name, value in (("discovered_at", discovered_at), ("aware_at", aware_at)):
            if value is None:
                self.fail(name, "This field is required.")
            elif value.tzinfo is None:
                self.fail(name, "Give a time with its zone (an offset or Z).")
            elif value > now:
                self.fail(name, "Cannot be after the report time (now).")
        clear = name_clear(self, "discovered_at", "aware_at")
        if clear and discovered_at and aware_at and discovered_at > aware_at:
            self.fail("discovered_at", "Cannot be after aware_at.")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ServiceError(CHECK_FIELDS, fields=self.errors)


def name_clear(checked: _Checked, *names: str) -> bool:
    return not any(name in checked.errors for name in names)


def _proposed_discovery(caller: Caller, alert_ids: Sequence[str], checked: _Checked) -> Any:
    """The linked alerts (all must exist and be readable) and the earliest first_seen."""
    alerts = list(alerts_for(caller, alert_ids)) if alert_ids else []
    if len(alerts) != len(set(map(str, alert_ids))):
        checked.fail("alert_ids", "Link alerts that exist and that you may read.")
        return [], None
    return alerts, min((alert.first_seen for alert in alerts), default=None)


_REFERENCE = re.compile(r"-(\d+)$")


def _next_reference(exercise: bool, year: int) -> str:
    prefix = f"{'EX' if exercise else 'INC'}-{year}-"
    last = (
        Incident.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(_REFERENCE.search(last).group(1)) + 1 if last else 1  # type: ignore[union-attr]
    return f"{prefix}{number:04d}"


def incident_open(*, caller: Caller, report: Report, via: OpenedVia) -> Incident:
    """Register an incident: checked facts, the alerts as evidence, the first timeline entry,
    the obligations it owes from the start."""
    require(caller, can_report_incidents(caller), resource=("incidents.incident", "new"))
    now = timezone.now()
    checked = _Checked()
    for name in TEXTS:
        checked.text(name, getattr(report, name), required=name == "title")
    for name in CHOICES:
        checked.choice(name, getattr(report, name))
    checked.categories(report.data_categories)
    team_ids = report.team_ids or (sorted(map(str, caller.team_ids)) if caller.is_person else [])
    checked.teams(caller, team_ids)
    alerts, proposed = _proposed_discovery(caller, report.alert_ids, checked)
    discovered_at = report.discovered_at or proposed
    overridden = proposed is not None and discovered_at != proposed
    reason = report.discovered_reason.strip()
    if overridden and not reason:
        checked.fail(
            "discovered_reason",
            f"The earliest linked alert proposes {proposed:%Y-%m-%d %H:%M} UTC; say why "
            "the breach was discovered at another time.",
        )
    aware_at = report.aware_at or now
    checked.clocks(discovered_at, aware_at, now)
    if via is OpenedVia.ALERT and not alerts:
        checked.fail("alert_ids", "Link at least one alert.")
    checked.raise_if_any()
    with transaction.atomic():
        incident = _create(caller, report, checked.values, discovered_at, aware_at, via, now)
        incident.affected_teams.set(checked.values["teams"])
        incident.alerts.set(alerts)
        entry_add(
            incident,
            caller,
            EntryKind.OPENED,
            checked.values["title"],
            {"via": via.value, "alerts": [str(alert.pk) for alert in alerts]},
        )
        if overridden:
            entry_add(
                incident,
                caller,
                EntryKind.OVERRIDE,
                clean_text(reason, field="discovered_reason"),
                {"field": "discovered_at", "proposed": proposed.isoformat()},
            )
        audit_record(
            actor=caller.actor,
            action=INCIDENT_OPENED,
            target=incident,
            details={
                "reference": incident.reference,
                "via": via.value,
                "alerts": [str(alert.pk) for alert in alerts],
                "exercise": incident.is_exercise,
                "severity": incident.severity,
            },
        )
        obligations_sync(caller=caller, incident=incident)
    return incident


def _create(
    caller: Caller,
    report: Report,
    values: Mapping[str, Any],
    discovered_at: datetime,
    aware_at: datetime,
    via: OpenedVia,
    now: datetime,
) -> Incident:
    facts = {name: value for name, value in values.items() if name != "teams"}
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Incident.objects.create(
                    reference=_next_reference(report.is_exercise, now.year),
                    discovered_at=discovered_at,
                    aware_at=aware_at,
                    reported_at=now,
                    reporter=user_of(caller),
                    opened_via=via,
                    is_exercise=report.is_exercise,
                    **facts,
                )
        except IntegrityError:
            continue  # another report took the number: take the next one
    raise ServiceError("Could not number the incident; try again.")


def incident_update(
    *, caller: Caller, incident: Incident, changes: Mapping[str, Any], reason: str = ""
) -> Incident:
    """Change facts of an open incident. Moving a clock (discovered_at, aware_at) needs a
    reason, kept on the timeline; the obligations follow the new facts."""
    require(caller, can_handle_incidents(caller), resource=incident)
    if incident.status == Status.CLOSED:
        raise ServiceError("This incident is closed; its facts are final.")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ServiceError(CHECK_FIELDS, fields={name: ["Cannot be changed."] for name in unknown})
    checked = _Checked()
    for name in TEXTS:
        if name in changes:
            checked.text(name, changes[name], required=name == "title")
    for name in CHOICES:
        if name in changes:
            checked.choice(name, changes[name])
    if "data_categories" in changes:
        checked.categories(changes["data_categories"])
    if "team_ids" in changes:
        checked.teams(caller, changes["team_ids"])
    moved = [
        name for name in CLOCKS if name in changes and changes[name] != getattr(incident, name)
    ]
    if moved:
        checked.clocks(
            changes.get("discovered_at", incident.discovered_at),
            changes.get("aware_at", incident.aware_at),
            max(timezone.now(), incident.reported_at),
        )
        if any(
            changes.get(name, getattr(incident, name)) > incident.reported_at
            for name in CLOCKS
            if name_clear(checked, name)
        ):
            checked.fail(moved[0], "Cannot be after the report time.")
        if not reason.strip():
            checked.fail("reason", "Say why the clock moves (kept on the timeline).")
    checked.raise_if_any()
    with transaction.atomic():
        return _apply(caller, incident, checked.values, {n: changes[n] for n in moved}, reason)


def _apply(
    caller: Caller,
    incident: Incident,
    values: Mapping[str, Any],
    clocks: Mapping[str, datetime],
    reason: str,
) -> Incident:
    changed = sorted(
        name
        for name, value in values.items()
        if name != "teams" and getattr(incident, name) != value
    )
    for name in changed:
        setattr(incident, name, values[name])
    for name, value in clocks.items():
        setattr(incident, name, value)
    if changed or clocks:
        incident.save(update_fields=[*changed, *clocks])
    teams: list[Team] | None = values.get("teams")
    if teams is not None and {t.pk for t in teams} != set(
        incident.affected_teams.values_list("pk", flat=True)
    ):
        incident.affected_teams.set(teams)
        changed.append("affected_teams")
    if clocks:
        entry_add(
            incident,
            caller,
            EntryKind.OVERRIDE,
            clean_text(reason, field="reason"),
            {name: value.isoformat() for name, value in clocks.items()},
        )
    if changed:
        shown = {n: values[n] for n in changed if n in CHOICES or n == "data_categories"}
        entry_add(incident, caller, EntryKind.FACTS, ", ".join(changed), {"changed": shown})
    if changed or clocks:
        audit_record(
            actor=caller.actor,
            action=INCIDENT_UPDATED,
            target=incident,
            reason=reason.strip()[:500],
            details={"fields": sorted([*changed, *clocks])},
        )
        obligations_sync(caller=caller, incident=incident)
    return incident
