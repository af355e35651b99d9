"""Alerts: raised once per rule and subject while active, acknowledged, closed with a note;
each change audited, wrong moves refused with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from audit.models import Alert, AlertRule, AlertStatus, AuditEvent, Severity
from audit.monitoring.runner import MONITORING as MONITOR
from audit.services.alerts import (
    CLOSE_NOTE_MAX,
    Finding,
    alert_acknowledge,
    alert_close,
    alert_raise,
)
from ccplatform.callers import Caller
from ccplatform.errors import AccessDeniedError, ServiceError
from tests.personas import Integrator, as_caller, key_caller, make_integrator

pytestmark = pytest.mark.django_db

SEEN = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CARD = "4111 1111 1111 1111"


def _finding(
    subject: str = "user:7", *, events: int = 5, last: datetime = SEEN, **details: object
) -> Finding:
    return Finding(
        rule=AlertRule.BULK_ACCESS,
        severity=Severity.HIGH,
        subject=subject,
        summary=f"{subject} opened {events} customer records.",
        event_count=events,
        first_seen=SEEN - timedelta(minutes=5),
        last_seen=last,
        details={"customers": events, **details},
    )


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def alert() -> Alert:
    raised, _ = alert_raise(_finding(), caller=MONITOR)
    return raised


@pytest.fixture
def officer(compliance_officer: User) -> Caller:
    """A compliance officer, who handles alerts (audit.change_alert)."""
    return as_caller(compliance_officer)


def test_raising_stores_the_finding_and_audits_it(alert: Alert) -> None:
    stored = Alert.objects.get()
    assert (stored.rule, stored.severity, stored.status, stored.subject) == (
        "bulk_access",
        "high",
        "open",
        "user:7",
    )
    assert (stored.event_count, stored.first_seen, stored.last_seen) == (
        5,
        SEEN - timedelta(minutes=5),
        SEEN,
    )
    assert stored.details == {"customers": 5}
    (event,) = _events("alert.raised")
    assert (event.actor_kind, event.actor_id, event.outcome) == (
        "system",
        "audit monitoring",
        "allowed",
    )
    assert (event.target_type, event.target_id) == ("audit.alert", str(alert.pk))


def test_raising_again_refreshes_the_active_alert_without_a_second_event(alert: Alert) -> None:
    later = SEEN + timedelta(minutes=3)
    refreshed, created = alert_raise(_finding(events=9, last=later, page=2), caller=MONITOR)
    assert (refreshed.pk, created) == (alert.pk, False)
    stored = Alert.objects.get()
    assert (stored.event_count, stored.last_seen, stored.first_seen) == (
        9,
        later,
        SEEN - timedelta(minutes=5),
    )
    assert stored.details == {"customers": 9, "page": 2}
    assert len(_events("alert.raised")) == 1


def test_a_smaller_or_older_finding_never_shrinks_the_alert(alert: Alert) -> None:
    alert_raise(_finding(events=2, last=SEEN - timedelta(minutes=1)), caller=MONITOR)
    stored = Alert.objects.get()
    assert (stored.event_count, stored.last_seen) == (5, SEEN)


def test_another_subject_or_rule_gets_its_own_alert(alert: Alert) -> None:
    _, created = alert_raise(_finding("user:8"), caller=MONITOR)
    assert created
    other_rule = Finding(**{**vars(_finding()), "rule": AlertRule.BREAK_GLASS})
    _, created = alert_raise(other_rule, caller=MONITOR)
    assert created
    assert Alert.objects.count() == 3


def test_an_acknowledged_alert_is_still_refreshed(alert: Alert, officer: Caller) -> None:
    alert_acknowledge(alert, caller=officer)
    refreshed, created = alert_raise(_finding(events=7), caller=MONITOR)
    assert (refreshed.pk, created, refreshed.status) == (alert.pk, False, "acknowledged")


def test_after_closing_the_next_finding_raises_a_new_alert(alert: Alert, officer: Caller) -> None:
    alert_close(alert, caller=officer, note="Expected: migration checks.")
    again, created = alert_raise(_finding(), caller=MONITOR)
    assert created
    assert again.pk != alert.pk
    assert len(_events("alert.raised")) == 2


def test_acknowledging_records_who_and_when_and_is_audited(alert: Alert, officer: Caller) -> None:
    acknowledged = alert_acknowledge(alert, caller=officer)
    stored = Alert.objects.get()
    assert (stored.status, stored.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, str(officer.actor))
    assert stored.acknowledged_at is not None
    assert acknowledged.status == AlertStatus.ACKNOWLEDGED
    (event,) = _events("alert.acknowledged")
    assert (event.actor_kind, event.actor_id, event.target_id) == (
        "user",
        str(officer.user_id),
        str(alert.pk),
    )


@pytest.mark.parametrize("first", ["acknowledge", "close"])
def test_only_an_open_alert_can_be_acknowledged(alert: Alert, first: str, officer: Caller) -> None:
    if first == "acknowledge":
        alert_acknowledge(alert, caller=officer)
    else:
        alert_close(alert, caller=officer, note="Nothing to see.")
    with pytest.raises(ServiceError, match="Only an open alert can be acknowledged"):
        alert_acknowledge(alert, caller=officer)
    assert len(_events("alert.acknowledged")) == (1 if first == "acknowledge" else 0)


@pytest.mark.parametrize("acknowledged_first", [False, True])
def test_closing_keeps_the_note_and_audits_only_its_length(
    alert: Alert, acknowledged_first: bool, officer: Caller
) -> None:
    if acknowledged_first:
        alert_acknowledge(alert, caller=officer)
    note = "  Spoke to Jane Example: approved export for the audit.  "
    alert_close(alert, caller=officer, note=note)
    stored = Alert.objects.get()
    assert (stored.status, stored.closed_by, stored.close_note) == (
        AlertStatus.CLOSED,
        str(officer.actor),
        note.strip(),
    )
    assert stored.closed_at is not None
    (event,) = _events("alert.closed")
    assert (event.actor_id, event.target_id) == (str(officer.user_id), str(alert.pk))
    assert event.details == {"note_length": len(note.strip())}
    assert "Jane" not in event.canonical


@pytest.mark.parametrize("note", ["", "   \n", "x" * (CLOSE_NOTE_MAX + 1)])
def test_closing_needs_a_note_of_sensible_length(alert: Alert, note: str, officer: Caller) -> None:
    with pytest.raises(ServiceError, match="note"):
        alert_close(alert, caller=officer, note=note)
    assert Alert.objects.get().status == AlertStatus.OPEN
    assert _events("alert.closed") == []


def test_a_closed_alert_cannot_be_closed_again(alert: Alert, officer: Caller) -> None:
    alert_close(alert, caller=officer, note="Checked.")
    with pytest.raises(ServiceError, match="already closed"):
        alert_close(alert, caller=officer, note="Checked twice.")
    assert Alert.objects.get().close_note == "Checked."
    assert len(_events("alert.closed")) == 1


def test_a_card_number_in_the_close_note_is_masked_before_it_is_saved(
    alert: Alert, officer: Caller
) -> None:
    alert_close(alert, caller=officer, note=f"Agent pasted {CARD} into a note; removed.")
    stored = Alert.objects.get()
    assert "4111 1111" not in stored.close_note
    assert "1111" in stored.close_note  # the last four stay, as everywhere else


def test_a_nul_character_in_the_close_note_is_dropped_not_a_database_error(
    alert: Alert, officer: Caller
) -> None:
    alert_close(alert, caller=officer, note="Checked\x00 with the team.")
    assert Alert.objects.get().close_note == "Checked with the team."


def _refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="access.denied").order_by("id"))


@pytest.mark.parametrize("who", ["agent", "supervisor", "security_admin"])
def test_people_without_the_alert_permission_can_neither_acknowledge_nor_close(
    alert: Alert, who: str, request: pytest.FixtureRequest
) -> None:
    person: User = request.getfixturevalue(who)
    caller = as_caller(person)
    with pytest.raises(AccessDeniedError):
        alert_acknowledge(alert, caller=caller)
    with pytest.raises(AccessDeniedError):
        alert_close(alert, caller=caller, note="Not mine to close.")
    stored = Alert.objects.get()
    assert (stored.status, stored.close_note) == (AlertStatus.OPEN, "")
    assert _events("alert.acknowledged") == _events("alert.closed") == []
    refusals = _refusals()
    assert len(refusals) == 2
    for refusal in refusals:
        assert (refusal.actor_kind, refusal.actor_id, refusal.outcome) == (
            "user",
            str(person.pk),
            "denied",
        )
        assert (refusal.target_type, refusal.target_id) == ("audit.alert", str(alert.pk))
        assert refusal.details == {
            "rule": "audit.handle_alerts",
            "via": "page",
            "resource": f"audit.alert:{alert.pk}",
            "why": "missing_permission:audit.change_alert",
        }


def test_keys_and_the_system_cannot_handle_alerts(alert: Alert) -> None:
    integrator: Integrator = make_integrator("siem.sync", scopes=("audit:read",))
    for caller, why in (
        (key_caller(integrator), "keys_not_allowed"),
        (MONITOR, "not_for_the_system"),
    ):
        with pytest.raises(AccessDeniedError) as refused:
            alert_acknowledge(alert, caller=caller)
        assert refused.value.decision.why == why
        with pytest.raises(AccessDeniedError):
            alert_close(alert, caller=caller, note="Automated close.")
    assert Alert.objects.get().status == AlertStatus.OPEN
    assert [(event.actor_kind, event.details["why"]) for event in _refusals()] == [
        ("api_key", "keys_not_allowed"),
        ("api_key", "keys_not_allowed"),
        ("system", "not_for_the_system"),
        ("system", "not_for_the_system"),
    ]
