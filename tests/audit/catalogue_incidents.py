"""Completeness catalogue: the incident workflow and the events each step owes.

Opening an incident and changing its facts, its timeline, its steps, the notices' decisions
and drafts, the reminders, the clients' contractual clocks, the affected customers,
containment and the review; then the services of accounts and customers that containment
calls (sealing customers, ending a team's sessions) and the selector that reads customers'
regions for the affected counts. Every `entry(...)` here registers in
tests.audit.service_catalogue.CATALOGUE when this module is imported (by
tests/audit/test_completeness.py, which runs them).

Containment acts as the system for the incident ("incident INC-… containment"): the owning
service's event names that system actor, `incident.containment_taken` names the handler.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.test import TestCase
from django.utils import timezone

from accounts.models import Role, ServiceAPIKey, User, UserSession
from accounts.services import sessions
from audit.exposure import ExposureQuery
from audit.models import Alert, AlertRule
from audit.models import Severity as AlertSeverity
from audit.services import AuditTarget, alerts
from ccplatform.callers import Caller
from ccplatform.crypto.rotation import Kind as Ring
from ccplatform.crypto.rotation import rotation_jobs
from ccplatform.errors import AccessDeniedError, ServiceError
from customers import selectors as customer_selectors
from customers.models import Customer
from customers.services import records, sealing
from incidents.models import (
    AffectedSet,
    Client,
    DataCategory,
    EntryKind,
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
    containment,
    obligations,
    planning,
    register,
    reminders,
    review,
    timeline,
    workflow,
)
from tests.audit.catalogue_accounts import key_caller_of, key_target, session_of
from tests.audit.service_catalogue import (
    SYSTEM,
    Call,
    Expect,
    Expected,
    World,
    after,
    by,
    denial,
    entry,
    raises,
    then,
)
from tests.personas import SETUP, make_integrator, make_person

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


# --- The calls, prepared: each returns what its service must have recorded ----------------


def _opened_by_a_key(w: World) -> Call:
    key = key_caller_of(make_integrator("siem.feed", scopes=("incidents:write",)).user)
    return lambda: opened_events(key, opened(w, key, OpenedVia.API), "api", [])


def _opened_from_an_alert(w: World) -> Call:
    alert = raised(w)

    def call() -> Expected:
        incident = register.incident_open(caller=handler(w), via=OpenedVia.ALERT, report=report(
            discovered_at=alert.first_seen - HOUR, aware_at=None, alert_ids=[str(alert.pk)],
            discovered_reason="The agent reported the phishing mail an hour before the alert"))
        return opened_events(handler(w), incident, "alert", [str(alert.pk)])

    return call


def _override_without_reason(w: World) -> Call:
    alert = raised(w)
    late = report(discovered_at=alert.first_seen - HOUR, alert_ids=[str(alert.pk)])
    return lambda: raises(ServiceError, lambda: register.incident_open(
        caller=handler(w), report=late, via=OpenedVia.ALERT), by(w.compliance_officer))


def _clock_moved(w: World) -> Call:
    incident = opened(w)

    def call() -> Expected:
        register.incident_update(caller=handler(w), incident=incident, reason="He called at 9",
                                 changes={"aware_at": incident.aware_at - HOUR})
        return (incident_event(handler(w), incident, fields=["aware_at"]),
                incident_event(handler(w), incident, moved=[AUTHORITY]))

    return call


def _decided(w: World, obligation: Obligation, status: str, **given: Any) -> Expected:
    decide(w, obligation, **given)
    return incident_event(handler(w), obligation.incident, obligation=obligation.pk,
                          rule=AUTHORITY, place="", decision=status,
                          reference=given.get("reference", "ICO-2026-118"),
                          approver=str(given.get("approver_id", "")), exemption="")


def _filed_late(w: World) -> Call:
    """The authority notice of an incident known 80 hours ago: 8 hours past its deadline."""
    now = timezone.now()
    notice = pending(opened(w, discovered_at=now - 81 * HOUR, aware_at=now - 80 * HOUR))[0]
    return lambda: _decided(w, notice, "late", reference="ICO-2026-119",
                            reason="The DPO was on leave")


def _not_required(w: World) -> Call:
    notice, approver = pending(opened(w))[0], second_handler(w)
    return lambda: _decided(w, notice, "not_required", decision=ObligationStatus.NOT_REQUIRED,
                            reason="Unlikely to result in a risk: one masked record",
                            approver_id=approver.pk, reference="")


def _reminded(w: World) -> Call:
    now = timezone.now()
    incident = opened(w, discovered_at=now - 61 * HOUR, aware_at=now - 60 * HOUR)
    notice = pending(incident)[0]

    def call() -> Expected:
        assert reminders.reminders_send() == 1
        return incident_event(reminders.REMINDERS, incident, obligation=notice.pk,
                              rule=AUTHORITY, mark="80", recipients=1)

    return call


def _client_clock(w: World) -> Call:
    incident = opened(w)
    client = contracted(w, incident)

    def call() -> Expected:
        planning.obligations_sync(caller=handler(w), incident=incident)
        return incident_event(handler(w), incident, added=[f"client:{client.pk}"])

    return call


def _client_saved(w: World) -> Call:
    incident = opened(w, team_ids=[str(w.team.pk)])

    def call() -> Expected:
        client = save_client(w, Client())
        return (incident_event(handler(w), client, changed=["created", "teams"], hours=24),
                incident_event(handler(w), incident, added=[f"client:{client.pk}"]))

    return call


def _affected(w: World) -> Call:
    incident, query = opened(w), revealed(w)

    def call() -> Expected:
        found = compute(w, incident, query)
        return incident_event(
            computing(incident), incident, set=found.pk, query={"actor": f"user:{w.agent.pk}"},
            requested_by=str(handler(w).actor), total=1, plaintext=1,
            categories={"contact": 1}, plaintext_categories={"contact": 1},
            regions={"unknown": 1})

    return call


def _affected_in_california(w: World) -> Call:
    incident, query = opened(w), revealed(w, californian(w))

    def call() -> Expected:
        assert compute(w, incident, query).counts["regions"] == {"US-CA": 1}
        return (Expect(computing(incident), incident),
                incident_event(computing(incident), incident, added=["us-ca.residents US-CA"]))

    return call


def _disabled(w: World) -> Call:
    incident, _ = opened(w), session_of(w.agent)

    def call() -> Expected:
        containment.contain_disable_users(caller=handler(w), incident=incident, reason=REASON,
                                          user_ids=[str(w.agent.pk)])
        return (Expect(containing(incident), w.agent,
                       details={"sessions_ended": 1, "keys_revoked": 0}),
                incident_event(handler(w), incident, action="disable_users",
                               users=[str(w.agent.pk)]))

    return call


def _revoked(w: World) -> Call:
    incident, key = opened(w), ServiceAPIKey.objects.get(user=w.service_account)

    def call() -> Expected:
        containment.contain_revoke_keys(caller=handler(w), incident=incident, reason=REASON,
                                        prefixes=[key.prefix])
        return (Expect(containing(incident), key_target(key), details={"prefix": key.prefix}),
                incident_event(handler(w), incident, action="revoke_keys", keys=[key.prefix]))

    return call


def _team_ended(w: World) -> Call:
    incident, _ = opened(w), session_of(w.agent)

    def call() -> Expected:
        ended = containment.contain_end_team_sessions(caller=handler(w), incident=incident,
                                                      team_id=str(w.team.pk), reason=REASON)
        assert ended == 1
        return (Expect(containing(incident), w.team,
                       details={"sessions_ended": 1, "people": [str(w.agent.pk)]}),
                incident_event(handler(w), incident, action="end_team_sessions",
                               team=str(w.team.pk), sessions_ended=1))

    return call


def _sealed(w: World, *, release: bool = False) -> Call:
    incident = computed(w, opened(w))
    if release:
        containment.contain_seal_customers(caller=handler(w), incident=incident, reason=REASON)

    def call() -> Expected:
        changed = containment.contain_seal_customers(caller=handler(w), incident=incident,
                                                     reason=REASON, release=release)
        assert changed == 1
        ids = [str(w.customer.pk)]
        return (Expect(containing(incident), None,
                       details={"released" if release else "sealed": ids, "asked": 1}),
                incident_event(handler(w), incident,
                               action="release_customers" if release else "seal_customers",
                               set=incident.affected_sets.get().pk, customers=1,
                               plaintext_only=False, why=f"{incident.reference}: {REASON}"))

    return call


def _rotation_queued(w: World) -> Call:
    incident = opened(w)

    def call() -> Expected:
        with TestCase.captureOnCommitCallbacks(execute=False) as queued:
            jobs = containment.contain_rotate_keys(caller=handler(w), incident=incident,
                                                   ring=Ring.KEK, reason=REASON)
        assert jobs == [job.name for job in rotation_jobs(Ring.KEK)]
        assert len(queued) == len(jobs)  # the worker starts them once this commits
        return incident_event(handler(w), incident, action="rotate_keys", jobs=jobs)

    return call


def _reviewed(w: World) -> Call:
    incident = recovered(w)

    def call() -> Expected:
        written = write_review(w, incident)
        return incident_event(handler(w), incident, follow_ups=1, rerun=written.rerun_id)

    return call


def _customers_sealed(w: World, ids: list[str], sealed: list[str]) -> Expected:
    sealing.customers_seal(caller=SYSTEM, customer_ids=ids, why="incident INC-2026-0042")
    return Expect(SYSTEM, None, details={"sealed": sealed, "asked": len(ids)})


def _sealed_again(w: World) -> Call:
    other = californian(w)
    sealing.customers_seal(caller=SYSTEM, customer_ids=[w.customer.pk], why="incident INC-1")
    return lambda: _customers_sealed(w, [str(w.customer.pk), str(other.pk)], [str(other.pk)])


def _team_sessions_ended(w: World) -> Call:
    session_of(w.agent)

    def call() -> Expected:
        assert sessions.sessions_end_for_team(caller=w.admin, team=w.team, reason=REASON) == 1
        assert not UserSession.objects.filter(user=w.agent).exists()
        return Expect(w.admin, w.team, details={"sessions_ended": 1, "people": [str(w.agent.pk)]})

    return call


def _residences(w: World) -> Call:
    ids = [w.customer.pk, californian(w).pk]

    def call() -> Expected:
        found = customer_selectors.customer_residences(SYSTEM, ids)
        assert {place.region for place in found.values()} == {"", "US-CA"}
        assert {place.team_id for place in found.values()} == {w.team.pk}
        return Expect(SYSTEM, None)

    return call


# --- incidents: the register ---------------------------------------------------------------
entry("incident_open", register.incident_open, ("incident.opened", "incident.obligations_synced"),
      lambda w: lambda: (lambda incident: opened_events(handler(w), incident, "page", []))(
          opened(w)),
      why="Opening derives the notices owed from the start: the authority's, here.")
entry("incident_open_by_a_key", register.incident_open,
      ("incident.opened", "incident.obligations_synced"), _opened_by_a_key,
      why="A SIEM reports through the API with an incidents:write key: the key is named.")
entry("incident_open_from_an_alert", register.incident_open,
      ("incident.opened", "incident.obligations_synced"), _opened_from_an_alert,
      why="The alert is linked evidence; discovered_at overrides the alert's proposal with a "
          "reason (kept on the timeline, not a separate event).")
entry("incident_open_override_without_reason", register.incident_open, (),
      _override_without_reason,
      why="Another discovery time than the alert proposes needs a reason: a field error (400).")
entry("incident_open_refused", register.incident_open, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: opened(w, w.admin), denial(
          w.admin, NEW_INCIDENT, rule="incidents.report",
          why="missing_permission:incidents.add_incident")))
entry("incident_update", register.incident_update, "incident.updated",
      lambda w: (lambda incident: lambda: then(lambda: register.incident_update(
          caller=handler(w), incident=incident, changes={"severity": Severity.CRITICAL,
                                                         "title": "Two sessions hijacked"}),
          incident_event(handler(w), incident, fields=["severity", "title"])))(opened(w)))
entry("incident_update_clock", register.incident_update,
      ("incident.updated", "incident.obligations_synced"), _clock_moved,
      why="A moved clock (with its reason) moves the deadlines of the notices it starts.")
entry("incident_update_clock_without_reason", register.incident_update, (),
      lambda w: (lambda incident: lambda: raises(ServiceError, lambda: register.incident_update(
          caller=handler(w), incident=incident, changes={"aware_at": incident.aware_at - HOUR}),
          by(w.compliance_officer)))(opened(w)),
      why="Moving a clock needs a reason: a field error (400), nothing changes.")
entry("incident_update_refused", register.incident_update, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda:
          register.incident_update(caller=w.as_user(w.agent), incident=incident,
                                   changes={"severity": Severity.LOW}),
          denial(w.as_user(w.agent), incident, rule="incidents.handle", why=HANDLE)))(opened(w)))

# --- incidents: the timeline and the steps ---------------------------------------------------
entry("incident_note_add", timeline.incident_note_add, "incident.note_added",
      lambda w: (lambda incident: lambda: then(lambda: timeline.incident_note_add(
          caller=w.as_user(w.agent), incident=incident, text="The mail came from a lookalike"),
          Expect(w.as_user(w.agent), incident)))(opened(w, w.as_user(w.agent))))
entry("incident_note_add_refused", timeline.incident_note_add, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda:
          timeline.incident_note_add(caller=w.admin, incident=incident, text="Seen it"),
          denial(w.admin, incident, rule="incidents.add_note", why=HANDLE)))(opened(w)))
entry("incident_viewed", timeline.incident_viewed, "incident.viewed",
      lambda w: (lambda incident: lambda: then(lambda: timeline.incident_viewed(
          caller=handler(w), incident=incident), Expect(handler(w), incident)))(opened(w)))
entry("incident_viewed_refused", timeline.incident_viewed, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda:
          timeline.incident_viewed(caller=w.admin, incident=incident),
          denial(w.admin, incident, rule="incidents.view",
                 why="missing_permission:incidents.view_incident")))(opened(w)))
entry("entry_add", timeline.entry_add, (),
      lambda w: (lambda incident: lambda: then(lambda: timeline.entry_add(
          incident, handler(w), EntryKind.NOTE, "A step"), by(w.compliance_officer)))(opened(w)),
      why="The one writer of the timeline: a step of every incident service here, each of "
          "which records its own event in the same transaction.")
entry("incident_transition", workflow.incident_transition, "incident.status_changed",
      lambda w: (lambda incident: lambda: then(lambda: stepped(w, incident, Status.TRIAGE),
          incident_event(handler(w), incident, **{"from": "reported", "to": "triage"})))(
              opened(w)))
entry("incident_transition_to_notified", workflow.incident_transition, "incident.status_changed",
      lambda w: (lambda incident: lambda: then(lambda: stepped(w, incident, Status.NOTIFIED),
          incident_event(handler(w), incident, **{"from": "contained", "to": "notified"})))(
              ready_to_notify(w)))
entry("incident_transition_to_closed", workflow.incident_transition, "incident.status_changed",
      lambda w: (lambda incident: lambda: then(lambda: stepped(w, incident, Status.CLOSED),
          incident_event(handler(w), incident, **{"from": "recovered", "to": "closed"})))(
              reviewed(w)))
entry("incident_transition_not_ready", workflow.incident_transition, (),
      lambda w: (lambda incident: lambda: raises(ServiceError, lambda: stepped(
          w, incident, Status.NOTIFIED), by(w.compliance_officer)))(
              stepped(w, opened(w), Status.TRIAGE, Status.CONTAINED)),
      why="Notified needs every notice decided and an affected set: a field error (400).")
entry("incident_transition_out_of_order", workflow.incident_transition, (),
      lambda w: (lambda incident: lambda: raises(ServiceError, lambda: stepped(
          w, incident, Status.CONTAINED), by(w.compliance_officer)))(opened(w)),
      why="Steps are taken one at a time, in order: a field error (400), nothing changes.")
entry("incident_transition_refused", workflow.incident_transition, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda:
          workflow.incident_transition(caller=w.as_user(w.agent), incident=incident,
                                       status=Status.TRIAGE),
          denial(w.as_user(w.agent), incident, rule="incidents.handle", why=HANDLE)))(opened(w)))

# --- incidents: the notices owed, their drafts and reminders ---------------------------------
entry("obligation_decide_filed", obligations.obligation_decide, "incident.obligation_decided",
      lambda w: (lambda notice: lambda: _decided(w, notice, "filed"))(pending(opened(w))[0]))
entry("obligation_decide_late", obligations.obligation_decide, "incident.obligation_decided",
      _filed_late)
entry("obligation_decide_not_required", obligations.obligation_decide,
      "incident.obligation_decided", _not_required)
entry("obligation_decide_self_approved", obligations.obligation_decide, (),
      lambda w: (lambda notice: lambda: raises(ServiceError, lambda: decide(
          w, notice, decision=ObligationStatus.NOT_REQUIRED, reason="No risk",
          approver_id=w.compliance_officer.pk), by(w.compliance_officer)))(pending(opened(w))[0]),
      why="Not required needs another handler's approval: a field error (400), nothing decided.")
entry("obligation_decide_refused", obligations.obligation_decide, "access.denied",
      lambda w: (lambda notice: lambda: raises(AccessDeniedError, lambda:
          obligations.obligation_decide(caller=w.as_user(w.agent), obligation=notice,
                                        decision=ObligationStatus.FILED),
          denial(w.as_user(w.agent), notice.incident, rule="incidents.decide", why=HANDLE)))(
              pending(opened(w))[0]))
entry("obligation_decide_by_the_system", obligations.obligation_decide, "access.denied",
      lambda w: (lambda notice: lambda: raises(AccessDeniedError, lambda:
          obligations.obligation_decide(caller=SYSTEM, obligation=notice,
                                        decision=ObligationStatus.FILED,
                                        filed_at=timezone.now(), reference="ICO-2026-120"),
          Expect(SYSTEM, notice.incident, "denied")))(pending(opened(w))[0]))
entry("obligation_draft_edit", obligations.obligation_draft_edit, "incident.draft_edited",
      lambda w: (lambda notice: lambda: then(lambda: obligations.obligation_draft_edit(
          caller=handler(w), obligation=notice, text="Dear Commissioner, ..."),
          incident_event(handler(w), notice.incident, obligation=notice.pk, rule=AUTHORITY)))(
              pending(opened(w))[0]))
entry("obligation_draft_edit_decided", obligations.obligation_draft_edit, (),
      lambda w: (lambda notice: lambda: raises(ServiceError, lambda:
          obligations.obligation_draft_edit(caller=handler(w), obligation=notice, text="Late"),
          by(w.compliance_officer)))(decide(w, pending(opened(w))[0])),
      why="A decided notice is history: its draft is final (400).")
entry("obligations_sync", planning.obligations_sync, "incident.obligations_synced",
      _client_clock)
entry("obligations_sync_unchanged", planning.obligations_sync, (),
      lambda w: (lambda incident: lambda: then(lambda: planning.obligations_sync(
          caller=handler(w), incident=incident), by(w.compliance_officer)))(opened(w)),
      why="The facts call for the notices already there: nothing to record.")
entry("reminders_send", reminders.reminders_send, "incident.reminded", _reminded,
      why="One event per notice reminded; 60 of its 72 hours passed: the 80 % mark.")
entry("reminders_send_nothing_due", reminders.reminders_send, (),
      lambda w: after(lambda: opened(w), lambda: then(lambda: reminders.reminders_send(),
                                                      Expect(reminders.REMINDERS, None))),
      why="No clock has reached a mark: nothing is sent.")
entry("reminders_send_refused", reminders.reminders_send, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: reminders.reminders_send(
          caller=w.as_user(w.agent)), denial(
              w.as_user(w.agent), AuditTarget("incidents.obligation", "reminders"),
              rule="incidents.handle", why=HANDLE)))

# --- incidents: clients and the clocks their contracts set -----------------------------------
entry("client_save", clients.client_save, ("incident.client_saved", "incident.obligations_synced"),
      _client_saved,
      why="The open incidents of the client's teams owe its notice at once: derived here.")
entry("client_save_change", clients.client_save, "incident.client_saved",
      lambda w: (lambda client: lambda: then(lambda: save_client(w, client, hours=12),
          incident_event(handler(w), client, changed=["notify_within_hours"], hours=12)))(
              save_client(w, Client())))
entry("client_save_over_the_law", clients.client_save, (),
      lambda w: lambda: raises(ServiceError, lambda: save_client(w, Client(), hours=96),
                               by(w.compliance_officer)),
      why="A contract may only shorten the law's 72 hours: a field error (400).")
entry("client_save_refused", clients.client_save, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: clients.client_save(
          caller=w.as_user(w.supervisor), client=Client(), name="Northwind Health",
          contact="security@northwind.example", notify_within_hours=24, teams=[]),
          denial(w.as_user(w.supervisor), AuditTarget("incidents.client", "new"),
                 rule="incidents.manage_clients", why=HANDLE)))

# --- incidents: affected customers, containment, the review --------------------------------
entry("affected_compute", affected.affected_compute, "incident.affected_computed", _affected)
entry("affected_compute_new_notices", affected.affected_compute,
      ("incident.affected_computed", "incident.obligations_synced"), _affected_in_california,
      why="A Californian among the affected: California's notice is owed, derived at once.")
entry("affected_compute_refused", affected.affected_compute, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda:
          affected.affected_compute(caller=w.as_user(w.agent), incident=incident,
                                    query=ExposureQuery(actor=("user", str(w.agent.pk)))),
          denial(w.as_user(w.agent), incident, rule="incidents.compute_affected",
                 why="people_not_allowed")))(opened(w)))
entry("affected_compute_by_a_person", affected.affected_compute, "access.denied",
      lambda w: (lambda incident, query: lambda: raises(AccessDeniedError, lambda:
          affected.affected_compute(caller=handler(w), incident=incident, query=query),
          Expect(handler(w), incident, "denied")))(opened(w), revealed(w)))
entry("exposure_query", affected.exposure_query, (),
      lambda w: (lambda session: lambda: then(lambda: affected.exposure_query(
          affected.Compromised(session_id=sessions.session_public_id(session))), by(w.agent)))(
              session_of(w.agent)),
      why="Checks that what a handler names exists and builds the query; affected_compute, "
          "which runs it, records it.")
entry("contain_disable_users", containment.contain_disable_users,
      ("user.disabled", "incident.containment_taken"), _disabled,
      why="The owning service's event (by the system, for the incident), then the incident's.")
entry("contain_revoke_keys", containment.contain_revoke_keys,
      ("api_key.revoked", "incident.containment_taken"), _revoked,
      why="The owning service's event (by the system, for the incident), then the incident's.")
entry("contain_end_team_sessions", containment.contain_end_team_sessions,
      ("session.team_ended", "incident.containment_taken"), _team_ended,
      why="The owning service's event (by the system, for the incident), then the incident's.")
entry("contain_seal_customers", containment.contain_seal_customers,
      ("customers.sealed", "incident.containment_taken"), _sealed,
      why="The owning service's event (by the system, for the incident), then the incident's.")
entry("contain_seal_customers_release", containment.contain_seal_customers,
      ("customers.released", "incident.containment_taken"), lambda w: _sealed(w, release=True),
      why="The owning service's event (by the system, for the incident), then the incident's.")
entry("contain_rotate_keys", containment.contain_rotate_keys, "incident.containment_taken",
      _rotation_queued)
entry("contain_disable_users_refused", containment.contain_disable_users, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda:
          containment.contain_disable_users(caller=w.as_user(w.agent), incident=incident,
                                            user_ids=[str(w.other_agent.pk)], reason=REASON),
          denial(w.as_user(w.agent), incident, rule="incidents.handle", why=HANDLE)))(opened(w)))
entry("contain_end_team_sessions_without_reason", containment.contain_end_team_sessions, (),
      lambda w: (lambda incident: lambda: raises(ServiceError, lambda:
          containment.contain_end_team_sessions(caller=handler(w), incident=incident,
                                                team_id=str(w.team.pk), reason=" "),
          by(w.compliance_officer)))(opened(w)),
      why="A containment action needs its reason: a field error (400), nothing ends.")
entry("review_write", review.review_write, "incident.reviewed", _reviewed)
entry("review_write_too_early", review.review_write, (),
      lambda w: (lambda incident: lambda: raises(ServiceError, lambda: write_review(
          w, incident), by(w.compliance_officer)))(stepped(w, opened(w), Status.TRIAGE)),
      why="The review needs the incident recovered and a re-run after containment (400).")
entry("review_write_by_the_system", review.review_write, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda: review.review_write(
          caller=SYSTEM, incident=incident, cause="x", measures="x", lessons="x",
          follow_ups=[follow_up(w)]), Expect(SYSTEM, incident, "denied")))(recovered(w)))
entry("review_write_refused", review.review_write, "access.denied",
      lambda w: (lambda incident: lambda: raises(AccessDeniedError, lambda: review.review_write(
          caller=w.as_user(w.agent), incident=incident, cause="x", measures="x", lessons="x",
          follow_ups=[follow_up(w)]),
          denial(w.as_user(w.agent), incident, rule="incidents.decide", why=HANDLE)))(opened(w)))

# --- accounts and customers: what containment and the affected counts call -------------------
entry("customers_seal", sealing.customers_seal, "customers.sealed",
      lambda w: lambda: _customers_sealed(w, [str(w.customer.pk)], [str(w.customer.pk)]))
entry("customers_seal_already_sealed", sealing.customers_seal, "customers.sealed", _sealed_again,
      why="Those already sealed keep their seal: the event names only the newly sealed.")
entry("customers_seal_by_a_person", sealing.customers_seal, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: sealing.customers_seal(
          caller=handler(w), customer_ids=[w.customer.pk], why="incident INC-2026-0042"),
          denial(handler(w), AuditTarget("customers.customer", "seal"), rule="customers.seal",
                 why="people_not_allowed")),
      why="Sealing is the system's, for an incident's containment: a person is refused.")
entry("customers_seal_bad_ids", sealing.customers_seal, (),
      lambda w: lambda: raises(ServiceError, lambda: sealing.customers_seal(
          caller=SYSTEM, customer_ids=["not-an-id"], why="incident INC-2026-0042"),
          Expect(SYSTEM, None)), why="Not a customer id: a field error (400), nothing sealed.")
entry("customers_release", sealing.customers_release, "customers.released",
      lambda w: after(
          lambda: sealing.customers_seal(caller=SYSTEM, customer_ids=[w.customer.pk], why="one"),
          lambda: then(lambda: sealing.customers_release(
              caller=SYSTEM, customer_ids=[w.customer.pk], why="contained"),
              Expect(SYSTEM, None, details={"released": [str(w.customer.pk)], "asked": 1}))))
entry("customers_release_by_a_person", sealing.customers_release, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: sealing.customers_release(
          caller=w.as_user(w.supervisor), customer_ids=[w.customer.pk], why="contained"),
          denial(w.as_user(w.supervisor), AuditTarget("customers.customer", "release"),
                 rule="customers.seal", why="people_not_allowed")))
entry("customer_residences", customer_selectors.customer_residences, (), _residences,
      why="Region codes and teams, never an address; affected_compute, its one caller, "
          "records incident.affected_computed with the counts.")
entry("customer_residences_by_a_person", customer_selectors.customer_residences,
      "access.denied", lambda w: lambda: raises(AccessDeniedError, lambda:
          customer_selectors.customer_residences(handler(w), [w.customer.pk]), denial(
              handler(w), AuditTarget("customers.customer", "regions"), rule="customers.locate",
              why="people_not_allowed")))
entry("sessions_end_for_team", sessions.sessions_end_for_team, "session.team_ended",
      _team_sessions_ended)
entry("sessions_end_for_team_refused", sessions.sessions_end_for_team, "access.denied",
      lambda w: lambda: raises(AccessDeniedError, lambda: sessions.sessions_end_for_team(
          caller=w.as_user(w.agent), team=w.team, reason=REASON), denial(
              w.as_user(w.agent), w.team, rule="accounts.disable_users",
              why="missing_permission:accounts.assign_role")))
entry("sessions_end_for_team_without_reason", sessions.sessions_end_for_team, (),
      lambda w: lambda: raises(ServiceError, lambda: sessions.sessions_end_for_team(
          caller=w.admin, team=w.team, reason=""), by(w.security_admin)),
      why="A reason is required: a field error (400), no session ends.")
# fmt: on
