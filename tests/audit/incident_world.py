"""The incidents the catalogue entries start from: opened, stepped, decided, recovered,
reviewed, through the real services, in a World (tests/audit/service_catalogue.py).

Shared by catalogue_incidents (the register, steps, notices, reminders, clients) and
catalogue_incident_response (affected customers, containment, the review, and the accounts
and customers services these call).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.utils import timezone

from accounts.models import Role, User
from audit.exposure import ExposureQuery
from audit.models import Alert, AlertRule
from audit.models import Severity as AlertSeverity
from audit.services import AuditTarget, alerts
from ccplatform.callers import Caller
from customers.models import Customer
from customers.services import records
from incidents.models import (
    AffectedSet,
    Client,
    DataCategory,
    Incident,
    Kind,
    Nature,
    Obligation,
    ObligationStatus,
    OpenedVia,
    Review,
    Severity,
    Status,
)
from incidents.services import (
    affected,
    clients,
    obligations,
    register,
    review,
    workflow,
)
from tests.audit.service_catalogue import (
    SYSTEM,
    Expect,
    Expected,
    World,
)
from tests.personas import SETUP, make_person

HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
AUTHORITY = "gdpr.33.authority"  # the one notice a contact-data incident owes at first
HANDLE = "missing_permission:incidents.handle_incident"
REASON = "The agent's session was used from an unknown network"
NEW_INCIDENT = AuditTarget("incidents.incident", "new")


# fmt: off
# --- Incidents in the state an entry needs -----------------------------------------------


def handler(w: World) -> Caller:
    return w.as_user(w.compliance_officer)


def report(**changes: Any) -> register.Report:
    now = timezone.now()
    return replace(register.Report(
        title="Agent session used from an unknown network", nature=Nature.CONFIDENTIALITY,
        kind=Kind.ACCESS, severity=Severity.HIGH, discovered_at=now - 2 * HOUR,
        aware_at=now - HOUR, data_categories=(DataCategory.CONTACT,),
        consequences="Contact details may be used for phishing.",
        measures="The session was ended and the password reset."), **changes)


def opened(w: World, caller: Caller | None = None, via: OpenedVia = OpenedVia.PAGE,
           **changes: Any) -> Incident:
    return register.incident_open(caller=caller or handler(w), report=report(**changes), via=via)


def opened_events(who: Caller, incident: Incident, via: str, linked: list[str]) -> Expected:
    """incident.opened with its facts, then the authority's notice derived (both by `who`)."""
    facts = {"reference": incident.reference, "via": via, "alerts": linked, "exercise": False,
             "severity": "high"}
    return (Expect(who, incident, details=facts),
            Expect(who, incident, details={"added": [AUTHORITY]}))


def stepped(w: World, incident: Incident, *statuses: Status) -> Incident:
    for status in statuses:
        workflow.incident_transition(caller=handler(w), incident=incident, status=status)
    return incident


def computing(incident: Incident) -> Caller:
    """The system caller of the affected-customer job (incidents.tasks.compute_affected)."""
    return Caller.system(f"incident {incident.reference} affected customers")


def containing(incident: Incident) -> Caller:
    return Caller.system(f"incident {incident.reference} containment")


def revealed(w: World, customer: Customer | None = None) -> ExposureQuery:
    """The agent revealed a customer's name: the compromised account's one touch."""
    records.customer_reveal(caller=w.as_user(w.agent), customer=customer or w.customer,
                            fields=["name"], reason="caller asked")
    return ExposureQuery(actor=("user", str(w.agent.pk)))


def compute(w: World, incident: Incident, query: ExposureQuery) -> AffectedSet:
    return affected.affected_compute(caller=computing(incident), incident=incident, query=query,
                                     requested_by=str(handler(w).actor))


def computed(w: World, incident: Incident) -> Incident:
    compute(w, incident, revealed(w))
    return incident


def pending(incident: Incident) -> list[Obligation]:
    return list(incident.obligations.filter(applies=True, status=ObligationStatus.PENDING))


def decide(w: World, obligation: Obligation, **decision: Any) -> Obligation:
    """Filed half an hour ago unless `decision` says otherwise."""
    filed: dict[str, Any] = {"decision": ObligationStatus.FILED, "reference": "ICO-2026-118",
                             "filed_at": timezone.now() - HOUR / 2}
    return obligations.obligation_decide(caller=handler(w), obligation=obligation,
                                         **(filed | decision))


def ready_to_notify(w: World) -> Incident:
    """Contained, the affected customers computed, every notice filed, a DPO contact."""
    incident = computed(w, stepped(w, opened(w), Status.TRIAGE, Status.CONTAINED))
    for obligation in pending(incident):
        decide(w, obligation)
    w.settings.INCIDENT_DPO_CONTACT = "dpo@example.org"
    return incident


def recovered(w: World) -> Incident:
    """Notified and recovered, with the affected customers computed again since."""
    return computed(w, stepped(w, ready_to_notify(w), Status.NOTIFIED, Status.RECOVERED))


def follow_up(w: World) -> review.FollowUpAction:
    return review.FollowUpAction("Restrict sign-in to the office network",
                                 str(w.security_admin.pk), timezone.localdate() + 14 * DAY)


def write_review(w: World, incident: Incident) -> Review:
    return review.review_write(caller=handler(w), incident=incident, cause="A phished password",
                               measures="Passkeys for every agent",
                               lessons="Alert on sign-ins from new networks",
                               follow_ups=[follow_up(w)])


def reviewed(w: World) -> Incident:
    incident = recovered(w)
    write_review(w, incident)
    return incident


def raised(w: World) -> Alert:
    """A monitoring alert about the agent's account (bulk access), first seen now."""
    now = timezone.now()
    return alerts.alert_raise(alerts.Finding(
        rule=AlertRule.BULK_ACCESS, severity=AlertSeverity.HIGH, subject=f"user:{w.agent.pk}",
        summary="Many records", event_count=60, first_seen=now, last_seen=now, details={}),
        caller=SYSTEM)[0]


def second_handler(w: World) -> User:
    """Another compliance officer: who approves a notice found not required."""
    return make_person("comply.cora", Role.COMPLIANCE_OFFICER)


def californian(w: World) -> Customer:
    return records.customer_create(caller=SETUP, team_id=w.team.pk, values={
        "name": "Catalogue Californian", "addresses": ["1 Ocean Ave, Santa Monica, CA 90401"]})


def contracted(w: World, incident: Incident) -> Client:
    """A client whose customers the incident's team serves, with a 24-hour clock."""
    client = Client.objects.create(name="Northwind Health", notify_within_hours=24,
                                   contact="security@northwind.example")
    client.teams.add(w.team)
    incident.affected_teams.add(w.team)
    return client


def save_client(w: World, client: Client, hours: int = 24) -> Client:
    return clients.client_save(caller=handler(w), client=client, name="Northwind Health",
                               contact="security@northwind.example", notify_within_hours=hours,
                               teams=[w.team])


def incident_event(who: Caller, target: Incident | Client, **details: Any) -> Expect:
    """An event about an incident (or a client), with exactly these details if any."""
    return Expect(who, target, details=details or None)

# fmt: on
