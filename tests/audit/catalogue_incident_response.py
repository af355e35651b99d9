"""Completeness catalogue: an incident's response and the events each step owes.

The affected customers, containment and the review; then the services of accounts and
customers that containment calls (sealing customers, ending a team's sessions) and the
selector that reads customers' regions for the affected counts.

Containment acts as the system for the incident ("incident INC-… containment"): the owning
service's event names that system actor, `incident.containment_taken` names the handler.
"""

from __future__ import annotations

from django.test import TestCase

from accounts.models import ServiceAPIKey, UserSession
from accounts.services import sessions
from audit.exposure import ExposureQuery
from audit.services import AuditTarget
from ccplatform.crypto.rotation import Kind as Ring
from ccplatform.crypto.rotation import rotation_jobs
from ccplatform.errors import AccessDeniedError, ServiceError
from customers import selectors as customer_selectors
from customers.services import sealing
from incidents.models import (
    Status,
)
from incidents.services import (
    affected,
    containment,
    review,
)
from tests.audit.catalogue_accounts import key_target, session_of
from tests.audit.incident_world import (
    HANDLE,
    REASON,
    californian,
    compute,
    computed,
    computing,
    containing,
    follow_up,
    handler,
    incident_event,
    opened,
    recovered,
    revealed,
    stepped,
    write_review,
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


# fmt: off
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
                               users=[str(w.agent.pk)], already_disabled=[]))

    return call


def _revoked(w: World) -> Call:
    incident, key = opened(w), ServiceAPIKey.objects.get(user=w.service_account)

    def call() -> Expected:
        containment.contain_revoke_keys(caller=handler(w), incident=incident, reason=REASON,
                                        prefixes=[key.prefix])
        return (Expect(containing(incident), key_target(key), details={"prefix": key.prefix}),
                incident_event(handler(w), incident, action="revoke_keys", keys=[key.prefix],
                               already_revoked=[]))

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
                               plaintext_only=False))

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
