"""The workflow from report to closed: steps in order, what each needs, decisions on the
notices, containment through the owners' services, the review, and a timeline nothing can
change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Role, Team, User, UserSession
from audit.models import AuditEvent
from ccplatform.callers import Caller
from ccplatform.errors import AccessDeniedError, ServiceError
from customers.models import Customer
from customers.services.records import customer_reveal
from customers.services.sealing import customers_seal
from incidents.models import (
    EntryKind,
    Incident,
    ObligationStatus,
    Status,
    TimelineEntry,
)
from incidents.services.containment import (
    contain_disable_users,
    contain_end_team_sessions,
    contain_seal_customers,
)
from incidents.services.obligations import obligation_decide, obligation_draft_edit
from incidents.services.register import incident_update
from incidents.services.review import FollowUpAction, review_write
from incidents.services.workflow import incident_transition
from tests.incidents.test_affected import compute
from tests.incidents.world import customers_in, opened, touched_by
from tests.personas import as_caller, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(db: None) -> User:
    return make_person("comply.cleo", Role.COMPLIANCE_OFFICER)


def step(officer: User, incident: Incident, status: Status) -> None:
    incident_transition(caller=as_caller(officer), incident=incident, status=status)


def decide_all(officer: User, approver: User, incident: Incident) -> None:
    for notice in incident.obligations.filter(applies=True, status=ObligationStatus.PENDING):
        obligation_decide(
            caller=as_caller(officer),
            obligation=notice,
            decision="filed",
            filed_at=timezone.now(),
            reference=f"case-{notice.pk}",
        )


def test_a_breach_from_report_to_closed(
    compliance_officer: User, approver: User, agent: User, team_a: Team, settings: Settings
) -> None:
    settings.INCIDENT_DPO_CONTACT = "Dana Privacy, dpo@example.com, +1 555 0100"
    customers = customers_in(team_a)
    touched_by(agent, customers)
    incident = opened(compliance_officer, team_ids=[str(team_a.pk)])
    step(compliance_officer, incident, Status.TRIAGE)
    compute(compliance_officer, incident, user_id=str(agent.pk))
    officer = as_caller(compliance_officer)
    contain_disable_users(
        caller=officer, incident=incident, user_ids=[str(agent.pk)], reason="Stolen laptop"
    )
    contain_seal_customers(caller=officer, incident=incident, reason="Until notified")
    step(compliance_officer, incident, Status.CONTAINED)
    incident_update(
        caller=officer,
        incident=incident,
        changes={"consequences": "Possible phishing", "measures": "Account disabled"},
    )
    decide_all(compliance_officer, approver, incident)
    step(compliance_officer, incident, Status.NOTIFIED)
    step(compliance_officer, incident, Status.RECOVERED)
    with pytest.raises(ServiceError) as early:
        step(compliance_officer, incident, Status.CLOSED)
    assert "review" in early.value.fields
    compute(compliance_officer, incident, user_id=str(agent.pk))  # the re-run
    review_write(
        caller=officer,
        incident=incident,
        cause="Laptop left unlocked in a café",
        measures="Disk encryption checked at sign-in",
        lessons="Remote agents need a locker policy",
        follow_ups=[FollowUpAction("Write the policy", str(approver.pk), timezone.localdate())],
    )
    step(compliance_officer, incident, Status.CLOSED)
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.closed_at is not None
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds[0] == EntryKind.OPENED
    assert kinds[-1] == EntryKind.STATUS
    assert kinds.count(EntryKind.CONTAINMENT) == 2
    assert EntryKind.REVIEW in kinds
    agent.refresh_from_db()
    assert not agent.is_active
    disabled = AuditEvent.objects.get(action="user.disabled", target_id=str(agent.pk))
    assert disabled.actor_id == f"incident {incident.reference} containment"
    with pytest.raises(ServiceError):
        incident_update(caller=officer, incident=incident, changes={"title": "Changed"})


def test_notified_needs_every_notice_decided_and_the_article_33_content(
    compliance_officer: User, approver: User, settings: Settings
) -> None:
    settings.INCIDENT_DPO_CONTACT = ""
    incident = opened(compliance_officer, data_categories=[])
    for status in (Status.TRIAGE, Status.CONTAINED):
        step(compliance_officer, incident, status)
    with pytest.raises(ServiceError) as refused:
        step(compliance_officer, incident, Status.NOTIFIED)
    assert set(refused.value.fields) == {
        "obligations",
        "data_categories",
        "affected",
        "dpo_contact",
        "consequences",
        "measures",
    }


def test_a_late_filing_needs_its_reasons_and_is_marked_late(compliance_officer: User) -> None:
    incident = opened(
        compliance_officer,
        discovered_at=timezone.now() - timedelta(days=5),
        aware_at=timezone.now() - timedelta(days=4),
    )
    notice = incident.obligations.get(rule="gdpr.33.authority")
    caller = as_caller(compliance_officer)
    filed: dict[str, Any] = {"decision": "filed", "filed_at": timezone.now(), "reference": "ICO-1"}
    with pytest.raises(ServiceError) as refused:
        obligation_decide(caller=caller, obligation=notice, **filed)
    assert list(refused.value.fields) == ["reason"]
    obligation_decide(caller=caller, obligation=notice, reason="Facts took 4 days", **filed)
    notice.refresh_from_db()
    assert notice.status == ObligationStatus.LATE
    assert notice.sent_copy == notice.draft
    with pytest.raises(ServiceError, match="final"):
        obligation_draft_edit(caller=caller, obligation=notice, text="new")


def test_the_encryption_exemption_only_when_nothing_was_seen_in_plain_text(
    compliance_officer: User, approver: User, agent: User, team_a: Team
) -> None:
    touched_by(agent, customers_in(team_a), reveal=1)
    incident = opened(compliance_officer, risk="high")
    compute(compliance_officer, incident, user_id=str(agent.pk))
    notice = incident.obligations.get(rule="gdpr.34.subjects")
    with pytest.raises(ServiceError) as refused:
        obligation_decide(
            caller=as_caller(compliance_officer),
            obligation=notice,
            decision="not_required",
            reason="Encrypted",
            approver_id=approver.pk,
            exemption="encrypted",
        )
    assert "plain text" in refused.value.fields["exemption"][0]


def test_a_moved_clock_needs_a_reason_and_moves_the_deadlines(compliance_officer: User) -> None:
    incident = opened(compliance_officer)
    earlier = incident.aware_at - timedelta(hours=1)  # still after discovery (2 h ago)
    caller = as_caller(compliance_officer)
    with pytest.raises(ServiceError) as refused:
        incident_update(caller=caller, incident=incident, changes={"aware_at": earlier})
    assert "reason" in refused.value.fields
    incident_update(
        caller=caller, incident=incident, changes={"aware_at": earlier}, reason="Email found"
    )
    notice = incident.obligations.get(rule="gdpr.33.authority")
    assert notice.deadline == earlier + timedelta(hours=72)
    assert incident.timeline.filter(kind=EntryKind.OVERRIDE, text="Email found").exists()
    with pytest.raises(ServiceError) as future:
        incident_update(
            caller=caller,
            incident=incident,
            changes={"aware_at": timezone.now() + timedelta(hours=1)},
            reason="typo",
        )
    assert "aware_at" in future.value.fields


def test_sealed_customers_cannot_be_revealed_until_released(
    compliance_officer: User, agent: User, supervisor: User, team_a: Team
) -> None:
    customers = customers_in(team_a)
    touched_by(agent, customers, reveal=0)
    incident = opened(compliance_officer)
    compute(compliance_officer, incident, user_id=str(agent.pk))
    officer = as_caller(compliance_officer)
    assert contain_seal_customers(caller=officer, incident=incident, reason="Contain") == 4
    customers[0].refresh_from_db()
    with pytest.raises(AccessDeniedError, match="sealed"):
        customer_reveal(
            caller=as_caller(supervisor), customer=customers[0], fields=["name"], reason="call"
        )
    contain_seal_customers(caller=officer, incident=incident, reason="Notified", release=True)
    customers[0].refresh_from_db()
    shown = customer_reveal(
        caller=as_caller(supervisor), customer=customers[0], fields=["name"], reason="call"
    )
    assert shown == {"name": "Person 0"}


def test_ending_a_teams_sessions_from_the_incident(
    compliance_officer: User, agent: User, team_a: Team, client: object
) -> None:
    from tests.personas import login_verified

    login_verified(client, agent)  # type: ignore[arg-type]
    assert UserSession.objects.filter(user=agent).exists()
    incident = opened(compliance_officer)
    ended = contain_end_team_sessions(
        caller=as_caller(compliance_officer),
        incident=incident,
        team_id=str(team_a.pk),
        reason="Shared password",
    )
    assert ended == 1
    assert not UserSession.objects.filter(user=agent).exists()


def test_agents_cannot_run_the_workflow(agent: User, compliance_officer: User) -> None:
    incident = opened(compliance_officer)
    with pytest.raises(AccessDeniedError):
        step(agent, incident, Status.TRIAGE)


def test_the_timeline_refuses_changes_and_deletes_in_the_database(
    compliance_officer: User,
) -> None:
    incident = opened(compliance_officer)
    entry = incident.timeline.first()
    assert entry is not None
    for change in (
        lambda: TimelineEntry.objects.filter(pk=entry.pk).update(text="rewritten"),
        lambda: TimelineEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert TimelineEntry.objects.get(pk=entry.pk).text == entry.text


def test_exercises_are_numbered_apart_and_left_out_of_the_figures(
    compliance_officer: User,
) -> None:
    from incidents.selectors import incident_statistics

    real = opened(compliance_officer)
    drill = opened(compliance_officer, is_exercise=True)
    assert real.reference.startswith("INC-")
    assert drill.reference.startswith("EX-")
    figures = incident_statistics(as_caller(compliance_officer))
    assert figures.open == 1
    assert figures.last_exercise == drill.reported_at
    assert "EXERCISE" in drill.obligations.first().draft  # type: ignore[union-attr]


def test_containment_keeps_the_account_safeguards(
    compliance_officer: User, security_admin: User
) -> None:
    incident = opened(compliance_officer)
    officer = as_caller(compliance_officer)
    for person, field_message in (
        (compliance_officer, "Your own account is among them."),
        (security_admin, "The last active security admin is among them."),
    ):
        with pytest.raises(ServiceError) as refused:
            contain_disable_users(
                caller=officer, incident=incident, user_ids=[str(person.pk)], reason="Compromised"
            )
        assert refused.value.fields == {"user_ids": [field_message]}
        person.refresh_from_db()
        assert person.is_active


def test_releasing_lifts_only_this_incidents_seals(
    compliance_officer: User, agent: User, team_a: Team
) -> None:
    customers = customers_in(team_a)
    touched_by(agent, customers, reveal=0)
    restricted = customers[0]
    customers_seal(caller=Caller.system("dsar"), customer_ids=[restricted.pk], why="restriction")
    incident = opened(compliance_officer)
    compute(compliance_officer, incident, user_id=str(agent.pk))
    officer = as_caller(compliance_officer)
    assert contain_seal_customers(caller=officer, incident=incident, reason="Contain") == 3
    released = contain_seal_customers(
        caller=officer, incident=incident, reason="Done", release=True
    )
    assert released == 3
    sealed = Customer.objects.filter(sealed_at__isnull=False)
    assert list(sealed.values_list("sealed_by", flat=True)) == ["restriction"]


def test_an_exercise_records_containment_and_changes_nothing(
    compliance_officer: User, agent: User
) -> None:
    drill = opened(compliance_officer, is_exercise=True)
    contain_disable_users(
        caller=as_caller(compliance_officer),
        incident=drill,
        user_ids=[str(agent.pk)],
        reason="Tabletop: the agent's laptop",
    )
    agent.refresh_from_db()
    assert agent.is_active
    entry = drill.timeline.get(kind=EntryKind.CONTAINMENT)
    assert entry.text.startswith("Exercise, nothing changed — would have: disabled 1 account")
    assert entry.details["simulated"] is True
    assert not AuditEvent.objects.filter(action="user.disabled").exists()
