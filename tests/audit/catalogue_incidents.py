"""Completeness catalogue: the incident workflow and the events each step owes.

Opening an incident and changing its facts, its timeline, its steps, the notices' decisions
and drafts, the reminders, and the clients' contractual clocks. Every `entry(...)` here
registers in tests.audit.service_catalogue.CATALOGUE when this module is imported (by
tests/audit/test_completeness.py, which runs them); the incidents they start from are made
by tests/audit/incident_world.py.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from audit.services import AuditTarget
from ccplatform.errors import AccessDeniedError, ServiceError
from incidents.models import (
    Client,
    EntryKind,
    Obligation,
    ObligationStatus,
    OpenedVia,
    Severity,
    Status,
)
from incidents.services import (
    clients,
    obligations,
    planning,
    register,
    reminders,
    timeline,
    workflow,
)
from tests.audit.catalogue_accounts import key_caller_of
from tests.audit.incident_world import (
    AUTHORITY,
    HANDLE,
    HOUR,
    NEW_INCIDENT,
    contracted,
    decide,
    handler,
    incident_event,
    opened,
    opened_events,
    pending,
    raised,
    ready_to_notify,
    report,
    reviewed,
    save_client,
    second_handler,
    stepped,
)
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
from tests.personas import make_integrator

# fmt: off
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
# fmt: on
